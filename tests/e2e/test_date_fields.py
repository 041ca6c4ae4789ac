"""The filter bar's date fields: date pickers whenever shown, plain YYYY-MM-DD without JS.

On a phone the closed filter panel's date fields are text fields until it opens (a date
picker costs the first frame though not displayed: bench/README.md, "The closed filter
panel"); static/js/dashboard.js makes them pickers when they are shown.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from ..helpers import open_signed_in
from .accessibility import Axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 412, "height": 823}, "is_mobile": True, "has_touch": True}
DAY = "2026-04-15"
SUMMARY = ".filter-panel > summary"  # "Filters", and how many apply


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def kind(page, label: str) -> str:
    return page.get_by_label(label, exact=True).evaluate("input => input.type")


def test_on_a_phone_opening_the_panel_by_mouse_gives_date_pickers(e2e, browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    open_signed_in(page, e2e.url + "/tasks/?per_page=10")
    expect(page.locator("tbody.task").first).to_be_visible()
    # Closed, the fields are not drawn, and not yet pickers (the first frame's cost).
    expect(page.get_by_label("Scheduled from", exact=True)).to_be_hidden()
    assert kind(page, "Scheduled from") == "text"

    page.locator(SUMMARY).click()
    expect(page.get_by_label("Scheduled from", exact=True)).to_be_visible()
    expect(page.get_by_label("Scheduled from", exact=True)).to_have_attribute("type", "date")
    assert kind(page, "Scheduled to") == "date"
    page.get_by_label("Scheduled from", exact=True).fill(DAY)
    page.get_by_label("Scheduled to", exact=True).fill(DAY)
    page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile("scheduled_to="))
    query = params(page.url)
    assert query["scheduled_from"] == [DAY] and query["scheduled_to"] == [DAY]
    # The bookmark of that view: the panel opens on the dates chosen, as pickers.
    page.goto(page.url)
    page.locator(SUMMARY).click()
    expect(page.get_by_label("Scheduled from", exact=True)).to_have_value(DAY)
    assert kind(page, "Scheduled from") == "date"
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    context.close()


def test_on_a_phone_the_keyboard_reaches_a_date_picker(e2e, browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    open_signed_in(page, e2e.url + "/tasks/?per_page=10")
    summary = page.locator(SUMMARY)
    summary.focus()
    page.keyboard.press("Enter")
    field = page.get_by_label("Scheduled from", exact=True)
    for _ in range(8):  # Status, Result, Channel, When, then the date
        page.keyboard.press("Tab")
        if field.evaluate("input => input === document.activeElement"):
            break
    expect(field).to_be_focused()
    assert kind(page, "Scheduled from") == "date"
    # The picker's parts (day, month, year, in the browser's order) take the digits, and
    # Enter applies the filters.
    page.keyboard.type("11112026")
    expect(field).to_have_value(re.compile(r"^2026-\d\d-\d\d$"))
    chosen = field.input_value()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("scheduled_from="))
    assert params(page.url)["scheduled_from"] == [chosen]
    context.close()


# A bookmarked date on a wide screen, in a date picker at once: test_browser.py's bookmark
# test, whose new session opens a bookmark with a date.


def test_without_javascript_a_typed_date_filters_and_a_wrong_one_is_explained(e2e, browser):
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    open_signed_in(page, e2e.url + "/tasks/?per_page=10", zone=None)
    # The filter bar folds on a phone without JavaScript too, and opens on a tap.
    expect(page.get_by_label("When", exact=True)).to_be_hidden()
    page.locator(SUMMARY).click()
    expect(page.get_by_label("When", exact=True)).to_be_visible()
    field = page.get_by_label("Scheduled from", exact=True)
    expect(field).to_have_attribute("placeholder", "YYYY-MM-DD")

    # Another format is refused by the browser before anything is sent.
    before = page.url
    field.fill("15/04/2026")
    page.get_by_role("button", name="Apply filters").click()
    assert field.evaluate("input => input.validity.patternMismatch")
    assert page.url == before

    field.fill(DAY)
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile("scheduled_from="))
    assert params(page.url)["scheduled_from"] == [DAY]
    expect(page.locator("#id_scheduled_from-error")).to_have_count(0)
    expect(page.get_by_label("Scheduled from", exact=True)).to_have_value(DAY)

    # A day that does not exist: the server's error beside the field, the panel open.
    page.locator(SUMMARY).click()
    page.get_by_label("Scheduled from", exact=True).fill("2026-02-30")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#id_scheduled_from-error")).to_contain_text("valid date")
    expect(page.locator("#id_scheduled_from-error")).to_be_visible()
    context.close()
