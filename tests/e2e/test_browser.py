"""What a supervisor does in a real browser: sign in, filter, page, bookmark."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from ..helpers import PASSWORD, open_signed_in, sign_in
from .accessibility import Axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def row_texts(page) -> list[str]:
    return page.locator("tbody.task > tr:first-child").all_inner_texts()


def test_sign_in_filter_page_and_reopen_the_bookmark(e2e, page, browser):
    page.goto(e2e.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    results = Axe().run(page)  # the sign-in page
    assert results.violations_count == 0, results.generate_report()
    sign_in(page, PASSWORD)
    expect(page.get_by_role("heading", name="Tasks")).to_be_visible()
    assert params(page.url) == {"range": ["today"]}  # the day starts on today's tasks

    start = date.today() - timedelta(days=7)
    page.get_by_label("When", exact=True).select_option("")
    page.get_by_label("Channel", exact=True).select_option("CALLCENTER")
    page.get_by_label("Scheduled from", exact=True).fill(start.isoformat())
    page.get_by_label("Per page", exact=True).select_option("10")
    page.get_by_role("button", name="Apply filters").click()

    # Empty fields are not in the bookmark; the chosen ones are, under the API's names.
    assert params(page.url) == {
        "channel": ["CALLCENTER"],
        "scheduled_from": [start.isoformat()],
        "per_page": ["10"],
    }
    expect(page.locator("p.count")).to_contain_text("showing 1–10 of")
    channels = page.locator('tbody.task td[data-label="Channel"]').all_inner_texts()
    assert channels == ["CALLCENTER"] * 10

    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next").click()
    expect(page.locator("p.count")).to_contain_text("showing 11–20 of")
    assert params(page.url)["page"] == ["2"]
    assert params(page.url)["channel"] == ["CALLCENTER"]
    bookmark, rows = page.url, row_texts(page)
    assert len(rows) == 10

    page.reload()
    assert row_texts(page) == rows
    # A filtered page 2 with a row expanded passes an accessibility scan.
    page.locator("tbody.task summary").first.click()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    # Tomorrow: a new browser session opens the bookmark, signs in, sees the same view.
    other = browser.new_context(timezone_id="America/Santiago")
    tomorrow = other.new_page()
    tomorrow.goto(bookmark)
    expect(tomorrow).to_have_url(re.compile(r"/accounts/login/"))
    sign_in(tomorrow, PASSWORD)
    expect(tomorrow).to_have_url(bookmark)
    assert row_texts(tomorrow) == rows
    expect(tomorrow.get_by_label("Channel", exact=True)).to_have_value("CALLCENTER")
    # Wider than a phone the filter panel is always shown, so a bookmarked date is in a
    # date picker at once (test_date_fields.py has the phone's and the no-JS fields).
    bookmarked = tomorrow.get_by_label("Scheduled from", exact=True)
    expect(bookmarked).to_be_visible()
    expect(bookmarked).to_have_attribute("type", "date")
    expect(bookmarked).to_have_value(start.isoformat())
    other.close()


def test_a_row_expands_without_javascript(e2e, browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    open_signed_in(page, e2e.url + "/tasks/?per_page=10", zone=None)  # no JS, no zone
    first = page.locator("tbody.task").first
    expect(first.locator(".task-more")).to_be_hidden()
    first.locator("summary").click()
    expect(first.locator(".task-more")).to_be_visible()
    expect(first.locator(".task-more")).to_contain_text("Task ID")
    context.close()


def test_a_wrong_filter_in_the_url_is_shown_next_to_its_field(e2e, page):
    open_signed_in(page, e2e.url + "/tasks/?per_page=1000&scheduled_from=2026-13-01")
    expect(page.locator("#id_per_page-error")).to_be_visible()
    expect(page.locator("#id_scheduled_from-error")).to_contain_text("valid date")
    expect(page.get_by_role("alert").first).to_be_visible()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


# A phone's task list not scrolling sideways: test_morning.py's phone test, which also
# opens the filter panel.


def test_a_list_without_results_passes_an_accessibility_scan(e2e, page):
    # Also scanned: the sign-in page and a filtered page 2 with a row expanded (the first
    # test above), the plain list at 1440 and on a phone, in English and Spanish
    # (test_morning.py), and a page with form errors (above).
    open_signed_in(page, e2e.url + "/tasks/?external_commerce_id=NOBODY")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_the_error_page_passes_an_accessibility_scan(e2e, page, settings):
    settings.ACTIVITIES_API_KEY = "wrong"
    open_signed_in(page, e2e.url + "/tasks/")
    expect(page.get_by_role("alert")).to_contain_text("did not accept the dashboard's API key")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
