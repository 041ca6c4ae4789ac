"""Time zones: the viewer's saved choice, else their browser's, else the server's."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.models import UserPreference
from activities.timezones import (
    SESSION_KEY,
    context_processor,
    current_timezone_name,
    timezone_context,
    timezone_middleware,
)

pytestmark = pytest.mark.django_db

SERVER = "America/Santiago"
MIDDLEWARE = "activities.timezones.timezone_middleware"


@pytest.fixture(autouse=True)
def _server_zone(settings):
    settings.TIME_ZONE = SERVER


@pytest.fixture
def with_middleware(settings):
    """The middleware where the lead wires it: right after AuthenticationMiddleware."""
    if MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        auth = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
        middleware.insert(auth + 1, MIDDLEWARE)
        settings.MIDDLEWARE = middleware


def make_request(user=None, cookie=None, session=None, path="/tasks/"):
    request = RequestFactory().get(path)
    request.user = user or AnonymousUser()
    request.session = session if session is not None else SessionStore()
    if cookie is not None:
        request.COOKIES["tz"] = cookie
    return request


def zone_seen_by_the_view(request) -> str:
    """The zone active while the view runs (and that it is reset afterwards)."""
    seen = []

    def view(req):
        seen.append(timezone.get_current_timezone_name())
        return HttpResponse()

    timezone_middleware(view)(request)
    assert timezone.get_current_timezone_name() == SERVER
    return seen[0]


def prefer(user, zone):
    UserPreference.objects.update_or_create(user=user, defaults={"timezone": zone})


# --- The middleware -------------------------------------------------------------------


def test_without_a_cookie_or_a_preference_the_server_zone_is_used():
    request = make_request()
    assert zone_seen_by_the_view(request) == SERVER
    assert (request.tz_name, request.tz_source, request.tz_preference) == (SERVER, "server", "")


def test_the_browsers_cookie_beats_the_server_zone():
    request = make_request(cookie="Europe/Madrid")
    assert zone_seen_by_the_view(request) == "Europe/Madrid"
    assert request.tz_source == "browser"


def test_a_saved_preference_beats_the_browsers_cookie(user):
    prefer(user, "Asia/Tokyo")
    request = make_request(user, cookie="Europe/Madrid")
    assert zone_seen_by_the_view(request) == "Asia/Tokyo"
    assert (request.tz_source, request.tz_preference) == ("preference", "Asia/Tokyo")


def test_an_empty_preference_follows_the_browser(user):
    prefer(user, "")
    assert zone_seen_by_the_view(make_request(user, cookie="America/Lima")) == "America/Lima"


@pytest.mark.parametrize(
    "cookie", ["Mars/Olympus", "../../etc/passwd", "localtime", "", "america/lima", "x" * 500]
)
def test_a_garbled_cookie_is_ignored(cookie):
    assert zone_seen_by_the_view(make_request(cookie=cookie)) == SERVER


def test_a_preference_that_is_no_longer_a_zone_is_ignored(user):
    UserPreference.objects.create(user=user, timezone="Nowhere/Land")  # skips validation
    assert zone_seen_by_the_view(make_request(user, cookie="Europe/Madrid")) == "Europe/Madrid"


def test_the_preference_is_read_once_then_kept_in_the_session(user, django_assert_num_queries):
    prefer(user, "Asia/Tokyo")
    session = SessionStore()

    with django_assert_num_queries(1):
        assert zone_seen_by_the_view(make_request(user, session=session)) == "Asia/Tokyo"
    with django_assert_num_queries(0):
        assert zone_seen_by_the_view(make_request(user, session=session)) == "Asia/Tokyo"
    assert session[SESSION_KEY] == [str(user.pk), "Asia/Tokyo"]


def test_having_no_preference_is_kept_in_the_session_too(user, django_assert_num_queries):
    session = SessionStore()
    zone_seen_by_the_view(make_request(user, session=session))
    with django_assert_num_queries(0):
        zone_seen_by_the_view(make_request(user, session=session, cookie="UTC"))


def test_a_session_cache_for_another_user_is_not_trusted(user, django_assert_num_queries):
    prefer(user, "Asia/Tokyo")
    session = SessionStore()
    session[SESSION_KEY] = ["999999", "Europe/Madrid"]

    with django_assert_num_queries(1):
        assert zone_seen_by_the_view(make_request(user, session=session)) == "Asia/Tokyo"


def test_anonymous_requests_cost_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        zone_seen_by_the_view(make_request(cookie="Europe/Madrid"))


def test_current_timezone_name_is_the_zone_the_page_is_shown_in():
    request = make_request(cookie="Europe/Madrid")
    zone_seen_by_the_view(request)
    assert current_timezone_name(request) == "Europe/Madrid"
    assert current_timezone_name(make_request()) == SERVER  # no middleware: the active zone


# --- Choosing a zone ------------------------------------------------------------------


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_user_saves_a_zone_and_goes_back_where_they_were(signed_in, user):
    response = signed_in.post(
        "/preferences/timezone", {"timezone": "Europe/Madrid", "next": "/views/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/views/"
    assert UserPreference.objects.get(user=user).timezone == "Europe/Madrid"
    assert signed_in.session[SESSION_KEY] == [str(user.pk), "Europe/Madrid"]
    assert messages_of(response) == ["Times are now shown in Europe/Madrid."]


def test_an_empty_choice_clears_the_saved_zone(signed_in, user):
    prefer(user, "Europe/Madrid")

    response = signed_in.post("/preferences/timezone", {"timezone": "", "next": "/views/"})

    assert UserPreference.objects.get(user=user).timezone == ""
    assert signed_in.session[SESSION_KEY] == [str(user.pk), ""]
    assert messages_of(response) == ["Times now follow your browser's time zone."]


@pytest.mark.parametrize("zone", ["Mars/Olympus", "localtime", "<script>", "x" * 100])
def test_a_zone_that_does_not_exist_changes_nothing(signed_in, user, zone):
    prefer(user, "Europe/Madrid")

    response = signed_in.post("/preferences/timezone", {"timezone": zone, "next": "/views/"})

    assert response["Location"] == "/views/"
    assert UserPreference.objects.get(user=user).timezone == "Europe/Madrid"
    assert messages_of(response) == ["That is not a time zone we know; nothing changed."]


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/tasks/", "javascript:alert(1)", ""]
)
def test_an_unsafe_next_goes_to_the_task_list(signed_in, target):
    response = signed_in.post("/preferences/timezone", {"timezone": "UTC", "next": target})
    assert response["Location"] == "/tasks/"


@pytest.mark.parametrize(
    "target", ["foo", "task_list", "saved_views", "tasks/", "/\\other.host/", "//other.host/"]
)
def test_a_next_that_is_not_a_path_on_this_site_goes_to_the_task_list(signed_in, user, target):
    # A bare word used to be resolved as a view name by redirect(): a 500 for "foo".
    response = signed_in.post("/preferences/timezone", {"timezone": "UTC", "next": target})

    assert response.status_code == 302
    assert response["Location"] == "/tasks/"
    assert UserPreference.objects.get(user=user).timezone == "UTC"


def test_a_refused_zone_with_a_bad_next_still_goes_to_the_task_list(signed_in):
    response = signed_in.post("/preferences/timezone", {"timezone": "Mars/Base", "next": "foo"})
    assert response["Location"] == "/tasks/"


def test_choosing_a_zone_takes_a_signed_in_post(client, signed_in):
    assert signed_in.put("/preferences/timezone").status_code == 405
    client.logout()
    response = client.post("/preferences/timezone", {"timezone": "UTC"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not UserPreference.objects.exists()


def test_after_choosing_pages_use_the_zone_without_asking_the_database(
    with_middleware, signed_in, user
):
    signed_in.cookies["tz"] = "America/Lima"
    signed_in.post("/preferences/timezone", {"timezone": "Asia/Tokyo", "next": "/views/"})

    with CaptureQueriesContext(connection) as queries:
        response = signed_in.get("/views/")

    assert response.wsgi_request.tz_name == "Asia/Tokyo"
    assert not [q for q in queries if "activities_userpreference" in q["sql"]]


def test_through_the_whole_stack_the_cookie_is_used_without_a_preference(
    with_middleware, signed_in
):
    signed_in.cookies["tz"] = "America/Lima"
    response = signed_in.get("/views/")
    assert (response.wsgi_request.tz_name, response.wsgi_request.tz_source) == (
        "America/Lima",
        "browser",
    )


# --- The chooser ----------------------------------------------------------------------


def render_chooser(request) -> str:
    context = {"tzpref": timezone_context(request), "signed_in": request.user.is_authenticated}
    return render_to_string("activities/_timezone.html", context, request=request)


def test_the_chooser_shows_the_saved_zone_selected_once(user):
    prefer(user, "America/Lima")
    request = make_request(user, cookie="Europe/Madrid")
    zone_seen_by_the_view(request)

    html = render_chooser(request)

    assert '<label for="tz-choice">Time zone</label>' in html
    assert html.count(" selected") == 1
    assert '<option value="America/Lima" selected>America/Lima</option>' in html
    assert '<option value="">Use my browser' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<input type="hidden" name="next" value="/tasks/">' in html
    assert "Times in America/Lima" in html


def test_the_chooser_selects_a_zone_outside_the_common_ones(user):
    prefer(user, "Asia/Tokyo")
    request = make_request(user)
    zone_seen_by_the_view(request)

    html = render_chooser(request)

    assert html.count(" selected") == 1
    assert '<option value="Asia/Tokyo" selected>Asia/Tokyo</option>' in html


def test_the_chooser_follows_the_browser_when_nothing_is_saved(user):
    request = make_request(user, cookie="Europe/Madrid")
    zone_seen_by_the_view(request)

    html = render_chooser(request)

    assert html.count(" selected") == 1
    assert '<option value="" selected>Use my browser' in html
    assert "Times in Europe/Madrid" in html
    assert '<option value="America/Buenos_Aires">America/Buenos Aires</option>' in html


def test_the_chooser_is_not_shown_to_anonymous_users():
    assert render_chooser(make_request()).strip() == ""


def test_the_context_processor_gives_every_page_tzpref(user):
    request = make_request(user, cookie="Europe/Madrid", path="/tasks/?status=PENDING")
    zone_seen_by_the_view(request)

    tzpref = context_processor(request)["tzpref"]

    assert (tzpref["current"], tzpref["source"], tzpref["saved"]) == (
        "Europe/Madrid",
        "browser",
        "",
    )
    assert tzpref["next"] == "/tasks/?status=PENDING"
    assert [value for value, _ in tzpref["common"]][:2] == [
        "America/Santiago",
        "America/Buenos_Aires",
    ]


def test_the_header_lists_common_zones_and_links_to_all_of_them(signed_in, api):
    html = signed_in.get("/tasks/?status=PENDING").content.decode()
    assert html.count("<option") < 60  # filters and a few zones, not ~600 zones
    assert 'class="tz-more" href="/preferences/timezone?next=/tasks/%3Fstatus%3DPENDING"' in html


def test_every_zone_can_be_chosen_on_its_own_page(signed_in, user):
    page = signed_in.get("/preferences/timezone", {"next": "/tasks/"}).content.decode()
    assert page.count("<option") > 300
    assert '<option value="Asia/Tokyo">Asia/Tokyo</option>' in page
    response = signed_in.post(
        "/preferences/timezone", {"timezone": "Asia/Tokyo", "next": "/tasks/"}
    )
    assert response["Location"] == "/tasks/"
    html = signed_in.get("/preferences/timezone").content.decode()
    assert '<option value="Asia/Tokyo" selected>' in html
