"""Safe to expose: security headers, cookies, sign-in rate limits and error pages."""

from __future__ import annotations

import gzip
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client, override_settings
from django.urls import include, path

from .helpers import PASSWORD, wait_until
from .records import task

# --- Headers on every page -------------------------------------------------------------

ANONYMOUS_PAGES = ["/accounts/login/", "/healthz", "/no-such-page/", "/admin/login/"]
SUPERVISOR_PAGES = ["/tasks/", "/tasks/?status=PENDING", "/views/"]


def csp(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    policy = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        policy[name] = sources
    return policy


def assert_secure_headers(response) -> None:
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


# "path", not "page": pytest-playwright owns a fixture by that name.
@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_pages_for_anyone_send_the_security_headers(client, db, path):
    assert_secure_headers(client.get(path))


@pytest.mark.parametrize("path", SUPERVISOR_PAGES)
def test_supervisor_pages_send_the_security_headers(signed_in, api, path):
    response = signed_in.get(path)
    assert response.status_code == 200
    assert_secure_headers(response)


def test_the_403_for_a_signed_in_outsider_sends_the_headers_and_no_tasks(client, outsider, api):
    client.force_login(outsider)
    response = client.get("/tasks/")

    assert response.status_code == 403
    assert "tbody" not in response.content.decode()
    assert api.request_log == []
    assert_secure_headers(response)


def test_a_redirect_to_sign_in_sends_the_headers(client, db):
    response = client.get("/tasks/")
    assert response.status_code == 302
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response


# --- Cookies and sessions -------------------------------------------------------------------


def sign_in(client: Client, password: str = PASSWORD, username: str = "sofia", **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def test_the_session_and_csrf_cookies_are_http_only_and_same_site(client, user):
    client.get("/accounts/login/")
    response = sign_in(client)

    assert response.status_code == 302
    session = response.cookies["sessionid"]
    csrf = response.cookies["csrftoken"]
    assert session["httponly"] and csrf["httponly"]
    assert session["samesite"] == csrf["samesite"] == "Lax"


def test_a_session_lasts_the_configured_hours(client, user, settings):
    settings.SESSION_COOKIE_AGE = 2 * 3600
    response = sign_in(client)
    assert response.cookies["sessionid"]["max-age"] == 2 * 3600
    assert client.session.get_expiry_age() == 2 * 3600


def test_an_expired_session_must_sign_in_again(client, user, api):
    sign_in(client)
    assert client.get("/tasks/").status_code == 200
    session = client.session
    session.set_expiry(-1)  # as if its hours had passed
    session.save()

    response = client.get("/tasks/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_signing_out_is_a_post_only(signed_in):
    assert signed_in.get("/accounts/logout/").status_code == 405
    assert signed_in.post("/accounts/logout/").status_code == 302


# --- Sign-in rate limit -----------------------------------------------------------------------


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    return 3


def fail(client: Client, times: int, **extra) -> None:
    for _ in range(times):
        response = sign_in(client, "wrong-password", **extra)
        assert response.status_code == 200, "not locked out yet"


def test_too_many_wrong_passwords_lock_the_sign_in_with_a_clear_message(client, user, limit):
    fail(client, limit - 1)

    response = sign_in(client, "wrong-password")

    html = response.content.decode()
    assert response.status_code == 429
    assert "Too many failed sign-ins." in html
    assert "Try again in 15 minutes." in html
    assert "wrong-password" not in html
    assert_secure_headers(response)


def test_while_locked_even_the_right_password_is_refused(client, user, limit):
    fail(client, limit - 1)
    sign_in(client, "wrong-password")

    response = sign_in(client)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_and_address(client, user, django_user_model, limit):
    django_user_model.objects.create_user(username="marta", password=PASSWORD)
    fail(client, limit - 1)
    assert sign_in(client, "wrong-password").status_code == 429

    # The same user from another address, and another user from the same one, may sign in.
    assert sign_in(Client(), REMOTE_ADDR="10.1.2.3").status_code == 302
    assert sign_in(Client(), username="marta").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, user, settings, limit):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    fail(client, limit - 1)
    response = sign_in(client, "wrong-password")
    assert response.status_code == 429
    assert "Try again in 1 minute." in response.content.decode()

    # Polled rather than slept through: attempts during a lockout do not prolong it.
    assert wait_until(lambda: sign_in(client).status_code == 302, interval=0.1)


def test_a_successful_sign_in_starts_the_count_again(client, user, limit):
    fail(client, limit - 1)
    assert sign_in(client).status_code == 302
    client.post("/accounts/logout/")

    fail(client, limit - 1)  # would be locked out had the count gone on
    assert sign_in(client).status_code == 302


def test_the_lockout_page_keeps_where_the_user_was_going(client, user, limit):
    fail(client, limit - 1)
    response = client.post(
        "/accounts/login/",
        {"username": "sofia", "password": "wrong-password", "next": "/tasks/?status=PENDING"},
    )
    assert 'href="/accounts/login/?next=/tasks/%3Fstatus%3DPENDING"' in response.content.decode()


# --- Error pages that reveal nothing -----------------------------------------------------------


def boom(request):
    raise RuntimeError("secret detail: ACTIVITIES_API_KEY=abc123")


urlpatterns = [path("boom/", boom), path("", include("dashboard.urls"))]


def test_a_server_error_shows_a_plain_page_without_details(db):
    client = Client(raise_request_exception=False)
    with override_settings(ROOT_URLCONF=__name__):
        response = client.get("/boom/")

    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert "secret detail" not in html
    assert "Traceback" not in html
    assert 'href="/static/css/dashboard.css"' in html


def test_an_unknown_page_shows_the_dashboards_404(client, db):
    response = client.get("/no-such-page/?q=<script>")

    html = response.content.decode()
    main = html[html.index('<main id="main"') :]
    assert response.status_code == 404
    assert "There is no such page" in main
    assert "no-such-page" not in main
    assert "<script>" not in html


def test_an_unknown_host_gets_a_plain_400(client, db):
    response = client.get("/tasks/", HTTP_HOST="evil.example")

    html = response.content.decode()
    assert response.status_code == 400
    assert "could not read this request" in html
    assert "evil.example" not in html
    assert "ALLOWED_HOSTS" not in html


def test_a_form_without_its_csrf_token_gets_a_plain_403(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "sofia", "password": "x"})

    html = response.content.decode()
    assert response.status_code == 403
    assert "This form has expired" in html
    assert "CSRF cookie" not in html


# --- Issue 10 and 15: caching, compression, retry hints, cookies --------------------------------

PRIVATE_PAGES = [
    *SUPERVISOR_PAGES,
    "/tasks/?channel=TELEGRAM",  # a 400 shows the filters too
    "/preferences/timezone",
    "/views/1/delete",  # a 404 for a view that is not there
]


@pytest.mark.parametrize("path", PRIVATE_PAGES)
def test_signed_in_pages_are_kept_out_of_shared_and_browser_caches(signed_in, api, path):
    # After signing out on a shared computer, Back must not show the tasks again.
    response = signed_in.get(path)

    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert "public" not in directives


def test_the_403_for_an_outsider_is_not_cached_either(client, outsider, api):
    client.force_login(outsider)
    response = client.get("/tasks/")
    assert response.status_code == 403
    assert "no-store" in response["Cache-Control"]


def test_the_lockout_says_when_to_retry_in_a_header(client, user, limit):
    fail(client, limit - 1)

    response = sign_in(client, "wrong-password")

    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)


def test_a_refused_password_before_the_lockout_has_no_retry_after(client, user, limit):
    response = sign_in(client, "wrong-password")
    assert response.status_code == 200
    assert "Retry-After" not in response


def test_the_language_cookie_is_same_site_lax(client, db):
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/accounts/login/"})

    cookie = response.cookies["django_language"]
    assert cookie.value == "es"
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"]


def test_pages_are_gzip_compressed_with_breachs_random_padding(signed_in, api):
    response = signed_in.get("/tasks/", HTTP_ACCEPT_ENCODING="gzip, deflate")

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert int(response["Content-Length"]) == len(response.content)
    page = gzip.decompress(response.content).decode()
    assert "<tbody" in page
    # Django's BREACH mitigation: a random file name in the gzip header (flag FNAME)
    # makes the length of each answer vary.
    assert response.content[3] & 0x08


def test_a_page_is_not_compressed_for_a_client_that_does_not_ask(signed_in, api):
    response = signed_in.get("/tasks/")
    assert "Content-Encoding" not in response
    assert "<tbody" in response.content.decode()


def test_an_export_is_compressed_as_it_streams(signed_in, served):
    served(*[task(id=f"T-{n}") for n in range(30)])

    response = signed_in.get("/tasks/export.csv", HTTP_ACCEPT_ENCODING="gzip")

    assert response.status_code == 200
    assert response.streaming  # still written row by row, not held in memory
    assert response["Content-Encoding"] == "gzip"
    assert "Content-Length" not in response
    assert "no-store" in response["Cache-Control"]
    text = gzip.decompress(b"".join(response.streaming_content)).decode("utf-8-sig")
    assert text.count("T-") >= 30


# --- `next`: never a 500, never off the site (issue 15) ----------------------------------------

NEXT_VALUES = ["foo", "task_list", "javascript:alert(1)", "//other.host/", "https://other.host/"]


def assert_stays_on_site(response) -> None:
    assert response.status_code in (301, 302, 303, 307, 308)
    target = urlsplit(urljoin("http://testserver/somewhere/", response["Location"]))
    assert target.scheme == "http"
    assert target.netloc == "testserver"


def post_with_next(client: Client, view: str, target: str):
    if view == "timezone":
        return client.post("/preferences/timezone", {"timezone": "UTC", "next": target})
    if view == "language":
        return client.post("/i18n/setlang/", {"language": "es", "next": target})
    if view == "saved view":
        return client.post("/views/save", {"name": "Today", "query": "range=today", "next": target})
    client.logout()
    return client.post(
        "/accounts/login/", {"username": "sofia", "password": PASSWORD, "next": target}
    )


@pytest.mark.parametrize("target", NEXT_VALUES)
@pytest.mark.parametrize("view", ["timezone", "language", "saved view", "sign-in"])
def test_no_view_that_takes_next_fails_or_leaves_the_site(signed_in, view, target):
    # The test client raises any exception a view lets out, so a 500 fails here.
    assert_stays_on_site(post_with_next(signed_in, view, target))


@pytest.mark.parametrize("target", NEXT_VALUES)
def test_the_sign_in_page_with_a_bad_next_in_its_url_still_renders(client, db, target):
    response = client.get("/accounts/login/", {"next": target})
    assert response.status_code == 200
