"""The saved-views sidebar drawn once per language and sidebar (dashboard/jinja2.py).

Every page of a view shows the same sidebar: it is drawn for the first and filled in
with each page's CSRF token after, and drawn again when what it shows changes.
"""

from __future__ import annotations

import re

from django.test import Client

from activities import saved_views
from activities.models import SavedView
from dashboard import jinja2

from .helpers import CSRF_TOKEN, html

SIDEBAR = re.compile(r'<aside class="saved-views".*?</aside>', re.S)


def sidebar(page: str) -> str:
    return SIDEBAR.search(page).group(0)


def test_the_sidebar_is_the_one_a_render_draws_with_the_pages_token(signed_in, api):
    html(signed_in.get("/tasks/", {"page": "1"}))
    page = html(signed_in.get("/tasks/", {"page": "2"}))  # its sidebar is the first's
    tokens = set(CSRF_TOKEN.findall(page))
    assert len(tokens) == 1 and tokens <= set(CSRF_TOKEN.findall(sidebar(page)))
    jinja2._sidebars.clear()
    drawn = html(signed_in.get("/tasks/", {"page": "2"}))
    assert CSRF_TOKEN.sub("-", sidebar(drawn)) == CSRF_TOKEN.sub("-", sidebar(page))


def test_the_pages_after_the_first_build_no_views_for_the_sidebar(
    signed_in, api, user, monkeypatch
):
    SavedView.objects.create(owner=user, name="Pending calls", query="status=PENDING")
    built = []
    real = saved_views.user_cache.sidebar_views

    def counting(rows):
        built.append(rows)
        return real(rows)

    monkeypatch.setattr(saved_views.user_cache, "sidebar_views", counting)
    first = html(signed_in.get("/tasks/", {"page": "1"}))
    page = html(signed_in.get("/tasks/", {"page": "2"}))
    assert len(built) == 1  # the second page's sidebar is the first's, filled in
    assert "Pending calls" in sidebar(first) and "Pending calls" in sidebar(page)


def test_the_sidebars_form_saves_with_its_token(user, api):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    html(browser.get("/tasks/", {"status": "PENDING"}))
    page = html(browser.get("/tasks/", {"status": "PENDING", "page": "2"}))
    token = CSRF_TOKEN.search(sidebar(page)).group(1)
    data = {"name": "Pending", "query": "status=PENDING", "csrfmiddlewaretoken": token}
    assert browser.post("/views/save", data).status_code == 302
    assert SavedView.objects.get(owner=user).query == "status=PENDING"


def test_what_the_sidebar_shows_changes_with_the_views_and_the_language(signed_in, api, settings):
    assert "Pending calls" not in sidebar(html(signed_in.get("/tasks/", {"status": "PENDING"})))
    signed_in.post("/views/save", {"name": "Pending calls", "query": "status=PENDING"})
    page = html(signed_in.get("/tasks/", {"status": "PENDING"}))
    assert "Pending calls" in sidebar(page)
    assert "These filters are already saved." in sidebar(page)
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    assert "Vistas guardadas" in sidebar(html(signed_in.get("/tasks/", {"status": "PENDING"})))


def test_a_filter_that_looks_like_the_token_hole_stays_text(signed_in, api):
    page = html(signed_in.get("/tasks/", {"external_commerce_id": "<csrf-input-hole>"}))
    tokens = CSRF_TOKEN.findall(sidebar(page))
    assert len(tokens) == 1  # only the form's own
    assert "external_commerce_id=%3Ccsrf-input-hole%3E" in sidebar(page)


def test_a_view_named_like_the_token_hole_is_shown_as_its_name(signed_in, api, user):
    hole = str(jinja2._HOLES["csrf_input"])
    SavedView.objects.create(owner=user, name=hole, query="status=PENDING")
    aside = sidebar(html(signed_in.get("/tasks/")))
    assert len(CSRF_TOKEN.findall(aside)) == 1  # only the form's own
    assert "&lt;csrf-input-hole&gt;" in aside
