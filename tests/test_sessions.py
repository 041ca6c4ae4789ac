"""Sessions and the signed-in user read with plain SQL (dashboard/sessions.py, auth.py):
the same sessions and users as Django's own backends, one statement each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.db import connections
from django.test import Client
from django.utils import timezone

from dashboard.auth import ModelBackend
from dashboard.sessions import SessionStore

from .helpers import PASSWORD

URL = "/tasks/"


def test_a_session_djangos_backend_saved_reads_the_same(db):
    saved = DjangoStore()
    saved["tz_pref"] = ["7", "Europe/Madrid"]
    saved.save()

    read = SessionStore(saved.session_key)
    assert read["tz_pref"] == ["7", "Europe/Madrid"]
    assert read.session_key == saved.session_key


def test_an_expired_or_unknown_session_reads_empty_and_gets_a_new_key(db):
    expired = DjangoStore()
    expired["seen"] = True
    expired.set_expiry(timezone.now() - timedelta(seconds=1))
    expired.save()

    for key in (expired.session_key, "no-such-session-key-at-all-0123"):
        read = SessionStore(key)
        assert read.load() == {}
        assert read.session_key is None


def test_a_page_reads_the_session_and_the_user_in_one_query_each(
    signed_in, api, settings, django_assert_num_queries
):
    signed_in.get(URL)
    # With Redis (cached_db) the session comes from the cache: only the user is read.
    tables = ["django_session", "auth_user"]
    if settings.SESSION_ENGINE != "dashboard.sessions":
        tables = ["auth_user"]
    with django_assert_num_queries(len(tables)) as captured:
        assert signed_in.get(URL).status_code == 200
    for table, query in zip(tables, captured.captured_queries, strict=True):
        assert table in query["sql"]


def test_the_user_comes_back_with_aware_dates_and_an_inactive_one_does_not(user):
    loaded = ModelBackend().get_user(user.pk)
    assert loaded == user
    assert loaded.date_joined == user.date_joined
    assert timezone.is_aware(loaded.date_joined)
    assert loaded.is_active is True and loaded.is_superuser is False
    assert (loaded.username, loaded.password) == (user.username, user.password)

    user.is_active = False
    user.save()
    assert ModelBackend().get_user(user.pk) is None
    assert ModelBackend().get_user(user.pk + 1000) is None


def test_a_session_signed_in_by_djangos_model_backend_stays_signed_in(user, api):
    browser = Client()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert browser.get(URL).status_code == 200


def test_signing_in_works_and_a_wrong_password_is_checked_once(user, api, monkeypatch):
    checked = []
    real = get_user_model().check_password

    def counting(self, raw):
        checked.append(raw)
        return real(self, raw)

    monkeypatch.setattr(get_user_model(), "check_password", counting)
    browser = Client()
    login = "/accounts/login/"
    browser.post(login, {"username": "sofia", "password": "wrong"})
    assert checked == ["wrong"]
    assert browser.get(URL).status_code == 302  # still signed out

    response = browser.post(login, {"username": "sofia", "password": PASSWORD})
    assert response.status_code == 302
    assert browser.get(URL).status_code == 200


@pytest.mark.skipif(
    connections["default"].vendor != "sqlite",
    reason="the driver's own cursor is used on SQLite only; other databases use Django's",
)
def test_the_drivers_cursor_reads_what_djangos_cursor_reads(user, monkeypatch):
    saved = DjangoStore()
    saved["tz_pref"] = [str(user.pk), "Europe/Madrid"]
    saved.save()
    expired = DjangoStore()
    expired["seen"] = True
    expired.set_expiry(timezone.now() - timedelta(seconds=1))
    expired.save()

    def read() -> tuple:
        session, gone = SessionStore(saved.session_key), SessionStore(expired.session_key)
        loaded = ModelBackend().get_user(user.pk)
        return session.load(), gone.load(), gone.session_key, loaded, loaded.date_joined

    default = connections["default"]
    monkeypatch.setattr(default, "force_debug_cursor", True)  # Django's cursor
    through_django = read()
    monkeypatch.setattr(default, "force_debug_cursor", False)
    # The driver's cursor: Django's is not asked for.
    with monkeypatch.context() as patched:
        patched.setattr(default, "cursor", lambda *a: pytest.fail("Django's cursor"))
        through_driver = read()
    assert through_driver == through_django
    assert through_driver[:3] == ({"tz_pref": [str(user.pk), "Europe/Madrid"]}, {}, None)


def test_signing_out_ends_the_session_on_the_drivers_cursor_too(user, api):
    browser = Client()
    browser.force_login(user)
    assert browser.get(URL).status_code == 200
    stolen = browser.cookies["sessionid"].value
    browser.post("/accounts/logout/")
    thief = Client()
    thief.cookies["sessionid"] = stolen
    assert thief.get(URL).status_code == 302  # to the sign-in page
