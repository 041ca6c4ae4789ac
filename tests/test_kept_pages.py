"""Kept pages (activities/kept_pages.py): a repeated view is the page a render would draw.

Each test changes one thing a kept page is keyed on and checks that the next page
shows the change; the first proves a kept page is byte for byte a drawn one, CSRF
token aside, and that each response carries its own working token.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from markupsafe import Markup

from activities import service, views
from activities.models import SavedView
from team import names as team_names
from team.names import Datalists

from .helpers import CSRF_TOKEN, html
from .records import task

URL = "/tasks/"


@pytest.fixture
def draws(monkeypatch):
    """How many times the task list was drawn (not answered from a kept page)."""
    drawn = []
    real = views._render_list

    def counting(*args, **kwargs):
        drawn.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "_render_list", counting)
    return drawn


def without_token(text: str) -> str:
    return CSRF_TOKEN.sub('name="csrfmiddlewaretoken" value="-"', text)


def test_a_repeated_view_is_kept_and_is_the_page_a_render_draws(
    signed_in,
    api,
    settings,
    draws,
    clock,
):
    first = html(signed_in.get(URL, {"per_page": "20"}))
    kept = html(signed_in.get(URL, {"per_page": "20"}))
    assert len(draws) == 1  # fetched from the API and drawn, then read from the cache
    again = html(signed_in.get(URL, {"per_page": "20"}))
    assert len(draws) == 1
    assert without_token(again) == without_token(kept) == without_token(first)

    settings.ACTIVITIES_KEPT_PAGES = 0
    drawn = html(signed_in.get(URL, {"per_page": "20"}))
    assert len(draws) == 2
    assert without_token(drawn) == without_token(kept)


def test_each_kept_page_has_its_own_token_and_it_works(user, api):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    tokens = {CSRF_TOKEN.search(html(browser.get(URL))).group(1) for _ in range(3)}
    assert len(tokens) == 3  # masked anew each time (BREACH)
    for token in tokens:
        response = browser.post(
            "/i18n/setlang/", {"language": "en", "next": URL, "csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302


def test_the_filters_in_the_url_show(signed_in, api):
    html(signed_in.get(URL))
    page = html(signed_in.get(URL, {"status": "PENDING"}))
    assert re.search(r'status=PENDING[^"]*" aria-current="page"', page)


def test_the_language_shows(signed_in, api, settings):
    assert '<html lang="en"' in html(signed_in.get(URL))
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    assert '<html lang="es"' in html(signed_in.get(URL))


def test_the_browsers_zone_shows(signed_in, api):
    signed_in.cookies["tz"] = "Europe/Madrid"
    assert "Times in Europe/Madrid" in html(signed_in.get(URL))
    signed_in.cookies["tz"] = "America/Lima"
    assert "Times in America/Lima" in html(signed_in.get(URL))


def test_a_saved_zone_shows_as_chosen(signed_in, api):
    assert '<option value="Europe/Madrid" selected>' not in html(signed_in.get(URL))
    signed_in.post("/preferences/timezone", {"timezone": "Europe/Madrid", "next": URL})
    assert "Times are now shown in Europe/Madrid." in html(signed_in.get(URL))
    # The next page has no message, and is still not the page from before the change.
    page = html(signed_in.get(URL))
    assert "Times are now shown in" not in page
    assert '<option value="Europe/Madrid" selected>' in page


def test_each_user_sees_their_own_name(signed_in, api, django_user_model):
    assert '<span class="who">sofia</span>' in html(signed_in.get(URL))
    other = django_user_model.objects.create_user(username="ramon")
    other.groups.add(Group.objects.get(name="Supervisors"))
    second = Client()
    second.force_login(other)
    assert '<span class="who">ramon</span>' in html(second.get(URL))


def test_a_saved_view_shows_in_the_sidebar(signed_in, api, user):
    assert "Morning round" not in html(signed_in.get(URL))
    SavedView.objects.create(owner=user, name="Morning round", query="status=PENDING")
    assert "Morning round" in html(signed_in.get(URL))


def test_the_teams_names_show(signed_in, api):
    # What team/names.py keeps for a sync interval: the names in the local copy.
    def names(operators: list[tuple[str, str]]) -> None:
        options = "".join(f'<option value="{v}">{n} ({v})' for v, n in operators)
        markup = f'<datalist id="team-operators">{options}</datalist>'
        team_names.publish(Datalists(operators, [], markup))

    names([])
    assert '<option value="OP-7">' not in html(signed_in.get(URL))
    names([("OP-7", "Ana")])
    assert '<option value="OP-7">Ana (OP-7)' in html(signed_in.get(URL))


def test_new_data_shows(signed_in, served, clock):
    server = served(task(id="t-1"), task(id="t-2", commerceName="Kiosco Sur"))
    assert "Kiosco Sur" in html(signed_in.get(URL))
    server.tasks = server.tasks[:1]
    clock(31)  # past ACTIVITIES_CACHE_TTL: fetched again, and again "just now"
    page = html(signed_in.get(URL))
    assert "Kiosco Sur" not in page
    assert "Updated just now" in page


def test_the_datas_age_shows(signed_in, api, clock):
    assert "Updated just now" in html(signed_in.get(URL))
    clock(12)
    assert "Updated 12 s ago" in html(signed_in.get(URL))


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_kept_page_shows_the_datas_age_as_it_is_now(
    signed_in,
    api,
    settings,
    draws,
    clock,
    language,
):
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html(signed_in.get(URL))  # drawn and kept
    html(signed_in.get(URL))  # from the cache
    clock(12)
    kept = html(signed_in.get(URL))
    clock(5)
    later = html(signed_in.get(URL))
    assert len(draws) == 1  # the age is filled in, not drawn
    settings.ACTIVITIES_KEPT_PAGES = 0
    drawn = html(signed_in.get(URL))
    assert without_token(later) == without_token(drawn) != without_token(kept)
    if language == "en":
        assert "Updated 12 s ago" in kept and "Updated 17 s ago" in later


def test_new_tab_counts_show(signed_in, served, clock):
    server = served(task(id="t-1"), task(id="t-2"), task(id="t-3", status="PENDING"))
    tabs = re.compile(r"Completed <span class=\"tab-count\">(\d+)</span>")
    assert tabs.findall(html(signed_in.get(URL))) == ["2"]
    server.tasks = server.tasks[1:]
    # Only the Completed tab's count is fetched again; the list stays cached.
    done = service.TaskQuery(status="COMPLETED", per_page=1)
    service.cache.delete(service.cache_key(done))
    assert tabs.findall(html(signed_in.get(URL))) == ["1"]


def test_the_rows_show_as_drawn(signed_in, api, monkeypatch):
    html(signed_in.get(URL))
    monkeypatch.setattr(
        views.tables, "rows", lambda *args: Markup('<tbody class="task" id="drawn-now"></tbody>')
    )
    assert 'id="drawn-now"' in html(signed_in.get(URL))


def test_the_presets_dates_in_words_show(signed_in, api, monkeypatch):
    html(signed_in.get(URL, {"range": "today"}))
    monkeypatch.setattr(views.TaskFilterForm, "range_in_words", lambda self: "Someday soon")
    assert "Someday soon" in html(signed_in.get(URL, {"range": "today"}))


def test_a_page_with_a_message_is_drawn_and_not_kept(signed_in, api, draws):
    html(signed_in.get(URL))
    signed_in.post("/preferences/timezone", {"timezone": "", "next": URL})
    assert "Times now follow your browser" in html(signed_in.get(URL))
    # Drawn for the message; the next page (the same zone as the first) is the first's.
    assert len(draws) == 2
    assert "Times now follow your browser" not in html(signed_in.get(URL))
    assert len(draws) == 2


def test_a_view_fetched_anew_shows_its_new_rows_in_the_kept_page(
    signed_in, served, settings, clock, draws
):
    server = served(task(id="t-1"), task(id="t-2", commerceName="Kiosco Sur"))
    html(signed_in.get(URL))
    clock(31)  # past ACTIVITIES_CACHE_TTL: the list is fetched again (a reload, the
    # auto-refresh), the tab counts not: the page now says from when they are.
    assert "Kiosco Sur" in html(signed_in.get(URL))
    assert len(draws) == 2
    server.tasks = [server.tasks[0], task(id="t-2", commerceName="Almacén Norte")]
    clock(31)
    page = html(signed_in.get(URL))
    assert "Almacén Norte" in page and "Kiosco Sur" not in page
    assert len(draws) == 2  # the same page around the rows: filled in, not drawn
    settings.ACTIVITIES_KEPT_PAGES = 0
    assert without_token(html(signed_in.get(URL))) == without_token(page)
    assert len(draws) == 3


def test_a_stale_page_is_drawn_each_time(signed_in, served, clock, draws):
    server = served(task(id="t-1"))
    html(signed_in.get(URL))
    server.stop()
    clock(31)  # the cached copy is old and the API does not answer: shown as stale
    for _ in range(2):
        assert "The task service is not answering" in html(signed_in.get(URL))
    assert len(draws) == 3


def test_a_view_without_tasks_is_drawn_once_and_kept(signed_in, served, draws):
    served()
    for _ in range(3):
        assert "No tasks match these filters." in html(signed_in.get(URL))
    assert len(draws) == 1
