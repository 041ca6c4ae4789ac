"""Safe to expose: security headers, cookies, sign-in rate limits and error pages."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import include, path

from .conftest import PASSWORD

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

    time.sleep(1.2)

    assert sign_in(client).status_code == 302


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
