"""Signing in and out: every dashboard page needs it, and bookmarks survive it."""

from __future__ import annotations

from urllib.parse import quote

from .conftest import PASSWORD

BOOKMARK = "/tasks/?channel=CALLCENTER&scheduled_from=2026-11-29&page=2"


def test_the_task_list_needs_a_sign_in_that_remembers_the_full_url(client, api):
    response = client.get(BOOKMARK)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=" + quote(BOOKMARK, safe="/")
    assert api.request_log == []


def test_signing_in_lands_on_the_exact_bookmarked_url(client, user, api):
    response = client.post(
        "/accounts/login/", {"username": "sofia", "password": PASSWORD, "next": BOOKMARK}
    )
    assert response.status_code == 302
    assert response["Location"] == BOOKMARK


def test_the_sign_in_page_keeps_next_and_explains_a_wrong_password(client, user):
    response = client.post(
        "/accounts/login/", {"username": "sofia", "password": "nope", "next": BOOKMARK}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please enter a correct username and password" in html
    assert 'name="next" value="/tasks/?channel=CALLCENTER&amp;scheduled_from=2026-11-29' in html


def test_signing_in_refuses_to_send_the_user_off_site(client, user):
    response = client.post(
        "/accounts/login/",
        {"username": "sofia", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_signing_out_takes_a_post(signed_in):
    assert signed_in.get("/accounts/logout/").status_code == 405
    response = signed_in.post("/accounts/logout/")
    assert response.status_code == 302
    assert signed_in.get("/tasks/").status_code == 302
