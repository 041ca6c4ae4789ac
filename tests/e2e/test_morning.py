"""A supervisor's morning in Chromium at 375 and 1440 px: cards, width, density, keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..helpers import PASSWORD, open_signed_in, sign_in
from .accessibility import Axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1440, "height": 900}
WORDS = {
    "en": {
        "filters": "Filters",
        "when": "When",
        "result": "Result",
        "task_id": "Task ID",
        "saved_views": "Saved views",
    },
    "es": {
        "filters": "Filtros",
        "when": "Cuándo",
        "result": "Resultado",
        "task_id": "ID de la tarea",
        "saved_views": "Vistas guardadas",
    },
}


def open_page(browser, viewport, url, *, language="en", **options):
    context = browser.new_context(
        viewport=viewport,
        locale="es-CL" if language == "es" else "en-GB",
        timezone_id="America/Santiago",
        **options,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    javascript = options.get("java_script_enabled", True)
    open_signed_in(page, url, zone="America/Santiago" if javascript else None)
    expect(page.locator("tbody.task").first).to_be_visible()
    return context, page, missing


def axe_clean(page):
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("language", ["en", "es"])
def test_on_a_phone_each_task_is_a_closed_card_and_the_filters_fold(e2e, browser, language):
    context, page, missing = open_page(
        browser, PHONE, e2e.url + "/tasks/?per_page=20&channel=SALESMAN", language=language
    )
    first = page.locator("tbody.task").first
    # Details stay closed until asked for: 20 cards, not a 20,000 px page.
    expect(page.locator("tbody.task .task-more:visible")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollHeight") < 20 * 400
    # A card reads as one block: every line's value starts right of its label.
    label_edge = first.locator("td[data-label]").first.evaluate(
        "td => td.getBoundingClientRect().left + 100"
    )
    for sub in first.locator("td[data-label] .sub").all():
        if sub.is_visible():
            assert sub.bounding_box()["x"] >= label_edge
    badge = first.locator(".badge").first.bounding_box()
    assert badge["width"] < 200  # not stretched across the card
    first.locator("summary").click()
    expect(first.locator(".task-more")).to_be_visible()
    # Opened, its facts read across the card, not squeezed into a column.
    assert first.locator(".facts").bounding_box()["width"] > 300

    # The filter bar is folded, with the count of active filters; it opens on demand.
    panel = page.locator("details.filter-panel")
    expect(panel.locator("summary")).to_contain_text(WORDS[language]["filters"])
    expect(panel.locator(".filter-count")).to_have_text("1")
    expect(page.get_by_label(WORDS[language]["when"], exact=True)).to_be_hidden()
    panel.locator("summary").click()
    expect(page.get_by_label(WORDS[language]["when"], exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.get_by_role("complementary", name=WORDS[language]["saved_views"])).to_be_visible()
    selects_fit(page, "phone")
    axe_clean(page)
    assert missing == []  # a favicon, no 404 on the way
    context.close()


# The filter bar folding on a phone without JavaScript: test_date_fields.py's no-JS phone
# test, which opens the panel to type a date.


def test_the_table_fits_its_box_at_common_widths(e2e, browser):
    # One page, resized as a supervisor resizes a window: the layout is CSS alone.
    context, page, _ = open_page(browser, {"width": 768, "height": 900}, e2e.url + "/tasks/")
    for width in (768, 1024, 1280, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        table_fits(page, width)
    context.close()


def table_fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    wrap = page.locator(".table-wrap")
    widths = page.locator("thead th").evaluate_all(
        "ths => ths.map(t => [t.textContent, Math.round(t.getBoundingClientRect().width)])"
    )
    sizes = wrap.evaluate("w => [w.scrollWidth, w.clientWidth]")
    assert sizes[0] <= sizes[1], (sizes, widths)
    # Codes never break mid-word: each one shown is one line tall (read in one call).
    lines = page.locator("tbody.task .code").evaluate_all(
        "cs => cs.slice(0, 30).filter(c => c.checkVisibility()).map(c => c.getClientRects().length)"
    )
    assert lines and all(count == 1 for count in lines), lines
    if width == 1920:
        assert wrap.bounding_box()["width"] > 1500  # wide screens are used


@pytest.mark.parametrize("language", ["en", "es"])
def test_at_1440_rows_are_about_one_line_and_keyboard_reaches_next_quickly(e2e, browser, language):
    # Where the day starts (today's tasks) is the typical data.
    context, page, _ = open_page(
        browser, DESKTOP, e2e.url + "/tasks/?per_page=20&range=today", language=language
    )
    heights = sorted(
        page.locator("tbody.task > tr:first-child").evaluate_all(
            "rs => rs.map(r => r.getBoundingClientRect().height)"
        )
    )
    median = heights[len(heights) // 2]
    assert median < 48, heights  # was about 100 px
    # Page links above the table: "Next" is a few Tab presses away, not 148.
    next_word = "Next" if language == "en" else "Siguiente"
    presses = 0
    while presses < 80:
        presses += 1
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent").strip().startswith(next_word):
            break
    assert presses < 60, presses
    # One tab stop per row: its summary; the filter links sit in the details.
    rows = page.locator("tbody.task > tr:first-child")
    focusables = rows.first.locator("a, summary, button, input, select")
    expect(focusables).to_have_count(1)
    selects_fit(page, "1440")
    # Wide screens lay every row out; phones leave cards off screen for later
    # (test_render_cost.py): a rule of the width, whatever the number of rows.
    assert content_visibility(page, "tbody.task") == {"visible"}
    assert content_visibility(page, ".saved-views") == {"visible"}
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.locator("tbody.task summary").first.click()
    expect(page.locator("tbody.task .task-more").first).to_contain_text(WORDS[language]["task_id"])
    axe_clean(page)
    context.close()


def content_visibility(page, selector):
    return set(
        page.locator(selector).evaluate_all(
            "els => els.map(e => getComputedStyle(e).contentVisibility)"
        )
    )


def selects_fit(page, where):
    """Every option of the time-zone and result selects fits their width (no "Pendi…")."""
    for selector in ("#tz-choice", "#id_result_status"):
        fits = page.locator(selector).evaluate(
            """s => {
              const style = getComputedStyle(s);
              const ctx = document.createElement('canvas').getContext('2d');
              ctx.font = style.font;
              const texts = [...s.options].map(o => ctx.measureText(o.text).width);
              const widest = Math.max(...texts);
              const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
              const room = s.clientWidth - padding - 16;  // the arrow
              return [widest, room];
            }"""
        )
        assert fits[0] <= fits[1], (selector, where, fits)


def test_the_first_visit_does_not_reload_and_learns_the_zone(e2e, browser, settings):
    settings.TIME_ZONE = "UTC"
    context = browser.new_context(timezone_id="America/Santiago", viewport=DESKTOP)
    page = context.new_page()
    loads = []
    page.on("load", lambda: loads.append(page.url))
    page.goto(e2e.url + "/accounts/login/?next=/tasks/")
    sign_in(page, PASSWORD)
    expect(page.locator("tbody.task").first).to_be_visible()
    # One load for the sign-in page and one for the tasks: no reload in between.
    assert len(loads) == 2, loads
    expect(page.locator("html")).to_have_attribute("data-tz-rendered", "America/Santiago")
    expect(page.locator("#tz-current")).to_contain_text("America/Santiago")
    context.close()


def test_auto_refresh_is_announced_politely(e2e, page, served, settings):
    from ..records import task

    settings.ACTIVITIES_CACHE_TTL = 0
    server = served(task(id="first", scheduledAt="2026-04-15T13:00:00.000Z"))
    page.clock.install()
    open_signed_in(page, e2e.url + "/tasks/")
    page.get_by_label("Auto-refresh every minute").check()
    server.tasks = [*server.tasks, task(id="second", scheduledAt="2026-04-15T14:00:00.000Z")]
    page.clock.run_for(61_000)
    expect(page.locator("tbody.task")).to_have_count(2)
    page.clock.run_for(1_000)
    status = page.locator("[data-refresh-status]")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_text(re.compile(r"^Task list updated\. 2 tasks"))


def test_signing_out_says_so_and_saved_views_pass_axe(e2e, page, user):
    from activities.models import SavedView

    # Default and shared, so that the scan sees every mark a saved view can carry.
    SavedView.objects.create(
        owner=user,
        name="Calls",
        query="channel=CALLCENTER&status=PENDING",
        is_default=True,
        shared=True,
    )
    open_signed_in(page, e2e.url + "/views/")
    expect(page.locator(".saved-filters").first).to_contain_text("Status: Pending")
    expect(page.locator(".saved-count").first).to_contain_text("tasks now")
    page.get_by_text("Rename…").click()
    page.get_by_label("New name").fill("Morning calls")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Renamed “Calls” to “Morning calls”.")
    axe_clean(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status").first).to_have_text("You are signed out.")
