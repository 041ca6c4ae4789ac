"""What a phone's browser does while a 100-row task list loads (issue 15, Lighthouse).

Lighthouse's mobile check counts every long task on the main thread after the first
paint. These tests keep out the work that was found there and could creep back: cards
off screen styled and laid out, and the scripts' set-up (localStorage among it) in the
task that ends parsing. tests/test_page_weight.py checks the style sheet's side.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..helpers import open_signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGE = "/tasks/?per_page=100"
PHONE = {"viewport": {"width": 412, "height": 823}, "is_mobile": True, "has_touch": True}


# The browser's find-in-page (window.find), searching backwards from the end of the page
# for the card's commerce: true when the match it selects is in that card.
FIND_FROM_THE_END = """card => {
  const text = card.querySelector("td[data-label]").firstChild.textContent;
  const selection = getSelection();
  const end = document.createRange();
  end.selectNodeContents(document.body);
  end.collapse(false);
  selection.removeAllRanges();
  selection.addRange(end);
  return window.find(text, true, true, false) && card.contains(selection.anchorNode);
}"""


def content_visibility(page, selector: str) -> set[str]:
    return set(
        page.locator(selector).evaluate_all(
            "els => els.map(e => getComputedStyle(e).contentVisibility)"
        )
    )


# Each card: whether the browser has drawn it (not a stand-in), and its height in px.
CARDS_DRAWN = """cards => cards.map(card => [
  card.querySelector("td[data-label]").checkVisibility({contentVisibilityAuto: true}),
  card.getBoundingClientRect().height,
])"""


def test_on_a_phone_cards_are_drawn_when_reached_and_print_shows_them_all(e2e, browser):
    # One 100-card page for what the first frame leaves and what is drawn later.
    context = browser.new_context(**PHONE)
    page = context.new_page()
    open_signed_in(page, e2e.url + PAGE)
    cards = page.locator("tbody.task")
    expect(cards).to_have_count(100)
    assert content_visibility(page, "tbody.task") == {"auto"}
    assert content_visibility(page, ".saved-views") == {"auto"}

    # The first two cards stand in as tall boxes until drawn (two cards in the first
    # frame, not seven): once the page has loaded, those near the screen are drawn at
    # their real height, and a card further down is drawn when reached.
    page.wait_for_function(
        "() => document.querySelectorAll('tbody.task')[2].getBoundingClientRect().height < 600"
    )
    drawn = cards.evaluate_all(CARDS_DRAWN)
    assert all(shown and 100 < height < 600 for shown, height in drawn[:3]), drawn[:3]
    assert not drawn[60][0]  # far below: still left for later

    # The filter panel, closed, renders its fields once it is opened.
    assert not page.get_by_label("Scheduled from").is_visible()
    page.get_by_text("Filters", exact=True).click()
    expect(page.get_by_label("Scheduled from")).to_be_visible()

    # Find in page still reaches the last card, far below the screen.
    assert cards.last.evaluate(FIND_FROM_THE_END)

    # A card further down, reached with the keyboard: focusing its summary draws it and
    # brings it on screen, at its own height. The last card too.
    for index in (7, 99):
        summary = cards.nth(index).locator("summary")
        summary.focus()
        expect(summary).to_be_focused()
        expect(summary).to_be_in_viewport()
        shown, height = cards.nth(index).evaluate(
            "c => [c.querySelector('td[data-label]').checkVisibility("
            "{contentVisibilityAuto: true}), c.getBoundingClientRect().height]"
        )
        assert shown and 100 < height < 600, (index, shown, height)

    # On paper every card is laid out, none left as a placeholder.
    page.emulate_media(media="print")
    assert content_visibility(page, "tbody.task") == {"visible"}
    context.close()


# Wide screens lay every row out (content-visibility: visible): a CSS rule of the width,
# not of the number of rows, checked on test_morning.py's 1440 page of 20 rows.


def test_the_scripts_set_up_after_the_page_is_parsed(e2e, page):
    # Read when the page's deferred scripts have run, and before the next task.
    page.add_init_script(
        """document.addEventListener("DOMContentLoaded", () => {
             window.__hiddenAtParse = document.querySelector("[data-auto-refresh]").hidden;
           });"""
    )
    open_signed_in(page, e2e.url + PAGE)
    toggle = page.get_by_label("Auto-refresh every minute")
    expect(toggle).to_be_visible()
    expect(toggle).not_to_be_checked()
    assert page.evaluate("window.__hiddenAtParse") is True
