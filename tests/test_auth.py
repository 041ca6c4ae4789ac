"""Signing in and out: every dashboard page needs it, and bookmarks survive it."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from .helpers import PASSWORD

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


def meta_description(html_text: str) -> list[str]:
    return [
        html.unescape(c)
        for c in re.findall(r'<meta name="description" content="([^"]*)">', html_text)
    ]


def test_the_sign_in_page_describes_the_dashboard_in_a_meta_description(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert meta_description(page) == [
        "Task dashboard for supervisors: sign in to see your team's visits and calls."
    ]


def test_the_meta_description_speaks_spanish_too(client, db):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert meta_description(page) == [
        "Panel de tareas para supervisores: inicie sesión para ver las visitas y llamadas "
        "de su equipo."
    ]
