"""What makes a page cheap: queries per signed-in page, tab counts asked once per view,
and the per-user caches (permission, sidebar) dropped as soon as what they hold changes.

No time is asserted: bench/run.py and bench/profile_tasks.py measure; these tests keep
the savings from quietly going away.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.template import engines
from markupsafe import Markup

from activities.models import SavedView

from .helpers import list_calls

URL = "/tasks/"


def count_calls(sandbox):
    """The parameters of the status tabs' count calls (per_page=1) the sandbox saw."""
    return [e["params"] for e in sandbox.request_log if e["params"].get("per_page") == "1"]


def test_a_cached_signed_in_page_makes_at_most_two_queries(
    signed_in, api, django_assert_max_num_queries
):
    # The first view fills the caches: the API's answer, the permission, the sidebar.
    assert signed_in.get(URL).status_code == 200
    # Left: the session (the database session backend; none with Redis, whose
    # cached_db backend reads it from the cache) and the signed-in user.
    with django_assert_max_num_queries(2):
        response = signed_in.get(URL)
    assert response.status_code == 200
    assert "<tbody" in response.content.decode()


def test_paging_through_one_view_asks_for_the_tab_counts_once(signed_in, api, settings):
    settings.ACTIVITIES_CACHE_TTL = 0  # every list is fetched anew
    for page in (1, 2, 3, 2):
        html = signed_in.get(f"{URL}?status=PENDING&per_page=20&page={page}").content.decode()
        assert "tab-count" in html
    assert len(list_calls(api)) == 4
    # One per other tab (All, In progress, Completed, Cancelled), for all four pages.
    statuses = sorted(params.get("status", "") for params in count_calls(api))
    assert statuses == ["", "CANCELLED", "COMPLETED", "IN_PROGRESS"]


def test_each_page_shows_the_same_tab_counts(signed_in, api, settings):
    settings.ACTIVITIES_CACHE_TTL = 0
    first = signed_in.get(f"{URL}?per_page=20&page=1").content.decode()
    second = signed_in.get(f"{URL}?per_page=20&page=2").content.decode()
    tabs = re.compile(r'<span class="tab-count">([^<]*)</span>')
    assert tabs.findall(first) == tabs.findall(second)
    assert len(tabs.findall(first)) == 5


def test_counts_older_than_the_list_say_from_when(signed_in, api, settings, clock):
    settings.ACTIVITIES_CACHE_TTL = 30
    settings.ACTIVITIES_COUNTS_TTL = 120
    first = signed_in.get(URL).content.decode()
    assert "Tab counts as of" not in first
    clock(45)  # the list is fetched again, the counts are not
    second = signed_in.get(URL).content.decode()
    assert "Updated just now" in second
    assert "Tab counts as of" in second
    assert len(count_calls(api)) == 4
    clock(120)  # now both are fetched again: one time for all
    third = signed_in.get(URL).content.decode()
    assert "Tab counts as of" not in third
    assert len(count_calls(api)) == 8


def test_refresh_fetches_the_counts_too(signed_in, api):
    signed_in.get(URL)
    signed_in.get(f"{URL}?refresh=1")
    assert len(count_calls(api)) == 8


def _sidebar(client) -> str:
    html = client.get(URL).content.decode()
    return html[html.index('class="saved-views"') :]


def test_a_new_or_renamed_or_deleted_view_shows_in_the_sidebar_at_once(signed_in, user, api):
    assert "Morning" not in _sidebar(signed_in)  # cached from here on
    view = SavedView.objects.create(owner=user, name="Morning", query="range=today")
    assert "Morning" in _sidebar(signed_in)
    view.name = "Early shift"
    view.save()
    sidebar = _sidebar(signed_in)
    assert "Early shift" in sidebar
    assert "Morning" not in sidebar
    view.delete()
    assert "Early shift" not in _sidebar(signed_in)


def test_a_colleague_sharing_a_view_shows_in_the_sidebar_at_once(signed_in, api, django_user_model):
    colleague = django_user_model.objects.create_user(username="marta", password="x-1234567")
    view = SavedView.objects.create(owner=colleague, name="Marta's calls", query="channel=SALESMAN")
    assert "Marta" not in _sidebar(signed_in)  # private: not listed
    view.shared = True
    view.save()
    sidebar = _sidebar(signed_in)
    assert "Marta&#39;s calls" in sidebar
    assert "by marta" in sidebar


def test_saving_through_the_page_lists_the_view_at_once(signed_in, api):
    _sidebar(signed_in)
    response = signed_in.post("/views/save", {"name": "Pending now", "query": "status=PENDING"})
    assert response.status_code == 302
    assert "Pending now" in _sidebar(signed_in)


@pytest.mark.parametrize("how", ["leaves the group", "group loses the permission", "group deleted"])
def test_a_supervisor_who_loses_the_permission_is_refused_at_once(signed_in, user, api, how):
    assert signed_in.get(URL).status_code == 200  # the permission is cached now
    calls = len(api.request_log)
    group = Group.objects.get(name="Supervisors")
    if how == "leaves the group":
        user.groups.remove(group)
    elif how == "group loses the permission":
        group.permissions.remove(Permission.objects.get(codename="view_tasks"))
    else:
        group.delete()
    response = signed_in.get(URL)
    assert response.status_code == 403
    assert len(api.request_log) == calls  # refused before any API call
    assert "tbody" not in response.content.decode()


def test_a_permission_given_to_the_user_directly_opens_the_dashboard_at_once(client, outsider, api):
    client.force_login(outsider)
    assert client.get(URL).status_code == 403
    outsider.user_permissions.add(Permission.objects.get(codename="view_tasks"))
    assert client.get(URL).status_code == 200


def test_with_a_zero_ttl_nothing_about_the_user_is_cached(signed_in, user, api, settings):
    settings.ACTIVITIES_USER_CACHE_TTL = 0
    signed_in.get(URL)
    # A change no signal announces (as in another process without Redis) is seen too.
    through = type(user).groups.through
    through.objects.filter(user=user).delete()
    assert signed_in.get(URL).status_code == 403


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        ("<b>Tom & Jerry's</b>", "&lt;b&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;"),
        (Markup("<b>kept</b>"), "<b>kept</b>"),
        (42, "42"),
        (None, "None"),
    ],
)
def test_printed_values_are_escaped_as_before(value, printed):
    template = engines["jinja2"].from_string(
        "{{ value }}|{% set x %}{{ value }}{% endset %}{{ x }}"
    )
    assert template.render({"value": value}) == f"{printed}|{printed}"


def test_a_name_with_markup_is_shown_as_text_once_escaped(signed_in, api, served):
    from .records import FULL

    served({**FULL, "commerceName": "<script>x</script> & Co"})
    html = signed_in.get(URL).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt; &amp; Co" in html
    assert "<script>x" not in html
    assert "&amp;lt;" not in html
