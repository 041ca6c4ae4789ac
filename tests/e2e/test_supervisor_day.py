"""The supervisor's day in a real browser: presets, chips, saved views, bookmarks."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ..helpers import PASSWORD, open_signed_in, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SANTIAGO = ZoneInfo("America/Santiago")


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def shown_days(page) -> set[str]:
    """The local days of the scheduled times in the table."""
    stamps = page.locator("tbody.task td:first-child time").evaluate_all(
        "els => els.map(e => e.getAttribute('datetime'))"
    )
    return {datetime.fromisoformat(s).astimezone(SANTIAGO).date().isoformat() for s in stamps}


def test_a_preset_click_and_a_chip_removal(e2e, page):
    open_signed_in(page, e2e.url + "/tasks/?channel=SALESMAN")

    page.get_by_role("navigation", name="Date presets").get_by_role("link", name="Today").click()
    assert params(page.url) == {"channel": ["SALESMAN"], "range": ["today"]}
    today = timezone.localdate(timezone=SANTIAGO).isoformat()
    assert shown_days(page) == {today}
    expect(page.get_by_text(re.compile(r"^Today, \w{3} \d+ \w{3}, 00:00–23:59$"))).to_be_visible()
    expect(page).to_have_title("SALESMAN · Today — Tasks")

    page.get_by_role("link", name="Remove filter Channel: SALESMAN").click()
    assert params(page.url) == {"range": ["today"]}
    expect(page.get_by_role("link", name=re.compile("^Remove filter"))).to_have_count(1)

    page.get_by_role("link", name="Pending").first.click()
    assert params(page.url) == {"range": ["today"], "status": ["PENDING"]}
    expect(
        page.get_by_role("navigation", name="Status").get_by_role(
            "link", name=re.compile("^Pending")
        )
    ).to_have_attribute("aria-current", "page")


def test_a_today_bookmark_opened_tomorrow_shows_tomorrow(e2e, page, monkeypatch):
    bookmark = e2e.url + "/tasks/?range=today&per_page=100"
    open_signed_in(page, bookmark)
    today = timezone.localdate(timezone=SANTIAGO)
    assert shown_days(page) == {today.isoformat()}

    # The next day, at 10:00 in Santiago: the same bookmark shows that day.
    later = datetime.combine(today + timedelta(days=1), datetime.min.time(), SANTIAGO)
    frozen = later.replace(hour=10)
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    page.goto(bookmark)
    if "/accounts/login/" in page.url:  # the session may have expired overnight
        sign_in(page, PASSWORD)
        expect(page).to_have_url(bookmark)
    assert shown_days(page) == {(today + timedelta(days=1)).isoformat()}
    expect(page.locator(".range-words")).to_contain_text(f"{frozen:%a} {frozen.day} {frozen:%b}")


def test_saving_a_view_and_reopening_it(e2e, page, browser):
    open_signed_in(page, e2e.url + "/tasks/?status=PENDING&range=this_week")
    sidebar = page.get_by_role("complementary", name="Saved views")
    sidebar.get_by_label("Name").fill("Pendientes de la semana")
    sidebar.get_by_label("Use as my default").check()
    sidebar.get_by_role("button", name="Save view").click()

    link = page.get_by_role("complementary", name="Saved views").get_by_role(
        "link", name="Pendientes de la semana"
    )
    expect(link).to_be_visible()
    expect(link).to_have_attribute("aria-current", "page")

    page.goto(e2e.url + "/tasks/?channel=SALESMAN")
    link.click()
    assert params(page.url) == {"range": ["this_week"], "status": ["PENDING"]}

    # The default view is where the dashboard opens, in a new session too.
    other = browser.new_context(timezone_id="America/Santiago")
    fresh = other.new_page()
    fresh.goto(e2e.url + "/")
    sign_in(fresh, PASSWORD)
    assert params(fresh.url) == {"range": ["this_week"], "status": ["PENDING"]}
    other.close()
    # /views/ with a default view is scanned in test_morning.py (signing out).


# The saved views and the filters on a phone: test_morning.py's phone test (no sideways
# scroll, the sidebar shown, the panel opened, an accessibility scan).


def test_auto_refresh_keeps_the_view_and_highlights_new_rows(e2e, page, served, settings):
    from ..records import task

    settings.ACTIVITIES_CACHE_TTL = 0
    server = served(task(id="first", scheduledAt="2026-04-15T13:00:00.000Z"))
    page.clock.install()
    open_signed_in(page, e2e.url + "/tasks/?channel=SALESMAN")
    page.get_by_label("Auto-refresh every minute").check()
    page.locator("tbody.task summary").first.click()  # an open row stays open

    server.tasks = [*server.tasks, task(id="second", scheduledAt="2026-04-15T14:00:00.000Z")]
    page.clock.run_for(61_000)
    expect(page.locator("tbody.task")).to_have_count(2)
    expect(page.locator('tbody.task[data-id="second"]')).to_have_class(re.compile("is-new"))
    expect(page.locator('tbody.task[data-id="first"]')).not_to_have_class(re.compile("is-new"))
    expect(page.locator('tbody.task[data-id="first"] details')).to_have_attribute("open", "")
    assert params(page.url) == {"channel": ["SALESMAN"]}

    page.reload()  # the choice is remembered
    expect(page.get_by_label("Auto-refresh every minute")).to_be_checked()


def test_skip_link_then_dates_typed_after_landing_on_today_just_work(e2e, page):
    open_signed_in(page, e2e.url + "/")
    assert params(page.url) == {"range": ["today"]}

    # Keyboard users can skip to the content, and see where the focus is.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))  # the jump may land after press() returns

    # "When" still says Today: typing a date sets it to "Any time" (dashboard.js).
    day = (timezone.localdate(timezone=SANTIAGO) - timedelta(days=2)).isoformat()
    page.get_by_label("Scheduled from").fill(day)
    page.get_by_label("Scheduled to").fill(day)
    expect(page.get_by_label("When", exact=True)).to_have_value("")
    page.get_by_role("button", name="Apply filters").click()

    expect(page.locator("tbody.task").first).to_be_visible()
    query = params(page.url)
    assert "range" not in query
    assert query["scheduled_from"] == [day] and query["scheduled_to"] == [day]
    assert shown_days(page) == {day}
