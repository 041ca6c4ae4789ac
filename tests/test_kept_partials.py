"""The header, the status tabs and the filter bar are drawn once and kept
(dashboard/jinja2.py), and the page links are built in Python (activities/paging.py):
every page shows what drawing it from nothing shows, with its own CSRF token and the
paths its forms return to."""

from __future__ import annotations

import re

import pytest
from django.template import engines
from django.urls import set_script_prefix
from django.utils import translation
from markupsafe import escape

from activities.kept_pages import pages as kept_pages
from dashboard import jinja2

from .helpers import CSRF_TOKEN, html

# The data's age moves with the clock, and every response masks its token anew.
AGE = re.compile(r'(<p class="freshness">\s*<span>)[^<]*')
HEADER = re.compile(r'<header class="site-header">.*?</header>', re.S)
TABS = re.compile(r'<nav class="status-tabs".*?</nav>', re.S)
FILTER_BAR = re.compile(r'<form class="filters".*?</form>', re.S)
NEXT = re.compile(r'name="next" value="([^"]*)"')
# What a page fills in: its token and the paths the header's forms return to.
FILLED = re.compile(r'(name="csrfmiddlewaretoken" value="|name="next" value="|\?next=)[^"]*')


def comparable(page: str) -> str:
    return CSRF_TOKEN.sub("token", AGE.sub(r"\1age", page))


def forget_everything_drawn() -> None:
    jinja2.forget_kept()
    kept_pages.clear()


VIEWS = [
    {},
    {"channel": "SALESMAN", "per_page": "10"},
    {"status": "PENDING"},
    {"range": "last_7_days", "external_operator_id": "OP-001"},
]


@pytest.mark.parametrize("language, zone", [("en", ""), ("es", "Europe/Madrid")])
def test_a_page_after_the_first_of_its_view_is_what_drawing_it_anew_shows(
    signed_in, api, settings, language, zone
):
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if zone:
        signed_in.cookies["tz"] = zone
    for view in VIEWS:
        html(signed_in.get("/tasks/", view))  # page 1 draws the partials and keeps them
        kept = html(signed_in.get("/tasks/", {**view, "page": "2"}))
        forget_everything_drawn()
        drawn = html(signed_in.get("/tasks/", {**view, "page": "2"}))
        assert comparable(kept) == comparable(drawn)
        header = HEADER.search(kept).group(0)
        assert len(set(CSRF_TOKEN.findall(kept))) == 1  # the page's one token, everywhere
        assert len(CSRF_TOKEN.findall(header)) == 3  # language, time zone, sign out
        # Both forms return to this page, not to the one the header was drawn for.
        paths = NEXT.findall(header)  # language, time zone, sign-out
        assert len(paths) == 3 and all("page=2" in path for path in paths[:2])


def test_the_header_tabs_and_filter_bar_are_drawn_once_for_every_page_of_a_view(
    signed_in, api, drawn
):
    kept_pages.clear()
    names = drawn
    view = {"channel": "SALESMAN", "per_page": "10"}
    pages = [html(signed_in.get("/tasks/", {**view, "page": str(n)})) for n in (1, 2, 3)]
    for name in ("_header.html", "activities/_status_tabs.html", "activities/_filters.html"):
        assert names.count(name) == 1, name
    for part in (HEADER, TABS, FILTER_BAR):
        assert len({FILLED.sub(r"\1-", part.search(p).group(0)) for p in pages}) == 1
    # Another view draws its own tabs and filter bar, under the same header.
    page = html(signed_in.get("/tasks/", {"channel": "CALLCENTER"}))
    assert names.count("activities/_status_tabs.html") == 2
    assert names.count("_header.html") == 1
    assert 'value="CALLCENTER" selected' in FILTER_BAR.search(page).group(0)
    assert "channel=CALLCENTER" in TABS.search(page).group(0)


def test_the_header_follows_the_user_the_section_and_the_time_zone(signed_in, api, client, user):
    tasks = html(signed_in.get("/tasks/"))
    assert 'href="/tasks/" aria-current="page"' in HEADER.search(tasks).group(0)
    team = html(signed_in.get("/team/"))
    assert 'href="/team/" aria-current="page"' in HEADER.search(team).group(0)
    assert '<span class="who">sofia</span>' in HEADER.search(team).group(0)
    signed_in.cookies["tz"] = "Asia/Tokyo"
    tokyo = HEADER.search(html(signed_in.get("/tasks/"))).group(0)
    assert "Times in Asia/Tokyo" in tokyo
    signed_in.logout()
    login = html(signed_in.get("/accounts/login/"))
    assert "sofia" not in HEADER.search(login).group(0)
    assert 'class="sign-out"' not in login


def test_a_path_that_looks_like_a_hole_stays_text(signed_in, api):
    page = html(signed_in.get("/tasks/", {"external_commerce_id": "<next-hole>"}))
    header = HEADER.search(page).group(0)
    assert NEXT.findall(header)[:2] == [
        "/tasks/?external_commerce_id=%3Cnext-hole%3E",
        "/tasks/?external_commerce_id=%3Cnext-hole%3E",
    ]
    assert "?next=/tasks/%3Fexternal_commerce_id%3D%253Cnext-hole%253E" in header
    assert "<next-hole>" not in page


def test_the_page_links_in_spanish_keep_the_filters_and_escape_them(signed_in, api, settings):
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = html(signed_in.get("/tasks/", {"per_page": "10", "page": "3", "channel": "SALESMAN"}))
    nav = re.search(r'<nav class="paginator" aria-label="[^"]+">(.*?)</nav>', page, re.S).group(1)
    assert '<a href="?per_page=10&amp;page=1&amp;channel=SALESMAN">« Primera</a>' in nav
    assert 'href="?per_page=10&amp;page=2&amp;channel=SALESMAN" rel="prev">‹ Anterior<' in nav
    assert '<a href="?per_page=10&amp;page=3&amp;channel=SALESMAN" aria-current="page">3</a>' in nav
    assert 'aria-label="Página 4">4</a>' in nav
    assert 'rel="next">Siguiente ›</a>' in nav


def render(source: str, **context) -> str:
    return engines["jinja2"].env.from_string(source).render(**context)


def test_translations_with_variables_are_formatted_as_jinja2_formats_them():
    translation.activate("es")
    zone = "<b>Lima</b>"
    # Jinja2's newstyle gettext: the translation as markup, the variables escaped.
    expected = translation.gettext("Times in %(zone)s") % {"zone": escape(zone)}
    assert render('{{ _("Times in %(zone)s", zone=zone) }}', zone=zone) == expected
    assert "&lt;b&gt;Lima&lt;/b&gt;" in expected
    # Newstyle: always a format string, with or without variables.
    assert render('{{ _("100%% sure") }}') == "100% sure"
    assert render('{{ _("%(n)s%% done", n=5) }}') == "5% done"
    # The same message without, then with, variables: each formatted its own way.
    assert render('{{ _("Page %(number)s", number=2) }}') == "Página 2"


def test_each_supervisor_sees_their_own_name(signed_in, api, client, django_user_model, user):
    from django.contrib.auth.models import Group

    assert '<span class="who">sofia</span>' in html(signed_in.get("/tasks/"))
    other = django_user_model.objects.create_user(username="mateo")
    other.groups.add(Group.objects.get(name="Supervisors"))
    client.force_login(other)
    header = HEADER.search(html(client.get("/tasks/"))).group(0)
    assert '<span class="who">mateo</span>' in header and "sofia" not in header


def test_the_tabs_show_the_counts_they_are_given(rf):
    from activities.forms import bound_form
    from activities.service import STATUS_TABS, Counts

    request = rf.get("/tasks/", {"channel": "SALESMAN", "page": "3"})
    form = bound_form(request.GET)
    assert form.is_valid()
    env = engines["jinja2"].env
    context = env.from_string("").new_context({"status_tabs": STATUS_TABS})

    def tabs(counts) -> str:
        return str(env.globals["status_tab_bar"](context, request, form, Counts(counts)))

    first = tabs({"": 1234, "PENDING": 7})
    assert '<span class="tab-count">1,234</span>' in first
    assert 'href="?channel=SALESMAN&amp;status=PENDING"' in first  # the first page
    later = tabs({"": 1235, "PENDING": 7})
    assert '<span class="tab-count">1,235</span>' in later


def test_plurals_are_formatted_as_jinja2_formats_them():
    translation.activate("es")
    source = '{{ ngettext("%(num)s task now", "%(num)s tasks now", n) }}'
    for n in (1, 3):
        expected = translation.ngettext("%(num)s task now", "%(num)s tasks now", n) % {"num": n}
        assert render(source, n=n) == expected
    # Inside a loop, as Jinja2's own: the loop's variables are seen.
    loop = '{% for n in [1, 2] %}{{ ngettext("%(num)s active", "%(num)s active", n) }};{% endfor %}'
    active = "%(num)s active"
    each = [translation.ngettext(active, active, n) % {"num": n} for n in (1, 2)]
    assert render(loop) == f"{each[0]};{each[1]};"


def test_static_urls_follow_the_settings(settings):
    from django.templatetags.static import static as django_static

    settings.STATIC_URL = "/assets/"
    assert render("{{ static('css/dashboard.css') }}") == django_static("css/dashboard.css")
    assert render("{{ static('css/dashboard.css') }}").startswith("/assets/")
    settings.STATIC_URL = "/static/"
    assert render("{{ static('css/dashboard.css') }}").startswith("/static/")


def test_the_kept_partials_follow_the_address_the_dashboard_is_served_under(signed_in, api):
    # One process may answer under two prefixes (WSGI's SCRIPT_NAME, which Django's
    # handler sets per request and its test client does not): each page's header,
    # filter bar and sidebar link under its own.
    try:
        for prefix in ("/dash", "", "/dash"):
            set_script_prefix(prefix + "/")
            page = html(signed_in.get("/tasks/", {"channel": "SALESMAN"}, SCRIPT_NAME=prefix))
            actions = re.findall(r'<form [^>]*action="([^"]*)"', page)
            assert len(actions) >= 5  # the header's three, the filter bar, the sidebar's save
            assert all(action.startswith(f"{prefix}/") for action in actions), actions
            assert f'<form class="filters" method="get" action="{prefix}/tasks/"' in page
            assert f'<a href="{prefix}/tasks/" aria-current="page">' in page  # its section
    finally:
        set_script_prefix("/")
