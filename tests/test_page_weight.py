"""The style sheet's rules that keep a phone's first load light (issue 15, Lighthouse).

Chromium's headless shell, which the browser tests run in, draws no calendar icon in
date fields, so the icon's rule is checked here, in the style sheet itself: Chromium
builds that icon (an SVG image) as a document of its own while the page loads, because
it looks at the closed filter panel's fields then.
"""

from __future__ import annotations

import re
from pathlib import Path

CSS = (Path(__file__).resolve().parent.parent / "static" / "css" / "dashboard.css").read_text()


def blocks(at_rule: str) -> list[str]:
    """The bodies of every `@media …` block whose condition is `at_rule`."""
    found = []
    for match in re.finditer(re.escape(at_rule) + r"\s*\{", CSS):
        depth, start = 1, match.end()
        for index in range(start, len(CSS)):
            depth += {"{": 1, "}": -1}.get(CSS[index], 0)
            if depth == 0:
                found.append(CSS[start:index])
                break
    return found


def rules(body: str) -> list[tuple[str, str]]:
    """(selector, declarations) of the plain rules in a block, comments dropped."""
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    return [(sel.strip(), decl.strip()) for sel, decl in re.findall(r"([^{}]+)\{([^{}]*)\}", body)]


def phone_and_print() -> tuple[list, list]:
    phone = [rule for body in blocks("@media (max-width: 900px)") for rule in rules(body)]
    printed = [rule for body in blocks("@media print") for rule in rules(body)]
    return phone, printed


def test_on_a_phone_the_calendar_icon_waits_for_the_filter_panel_to_open():
    phone, _ = phone_and_print()
    selector = ".filter-panel:not([open]) input::-webkit-calendar-picker-indicator"
    assert (selector, "background-image: none;") in phone
    # Only there: wide screens show the fields, and their icons, from the start.
    assert CSS.count("::-webkit-calendar-picker-indicator") == 1


def test_on_a_phone_the_closed_filter_panel_renders_nothing_but_its_summary():
    # Hidden only by the closed <details>, its fields were styled and laid out when
    # parsing ended (Chromium looks for what could take the focus).
    phone, _ = phone_and_print()
    assert (".filter-panel:not([open]) > :not(summary)", "display: none;") in phone


def test_what_a_phone_leaves_for_later_is_printed_in_full():
    phone, printed = phone_and_print()
    deferred = {sel for sel, decl in phone if "content-visibility: auto" in decl}
    assert deferred == {".tasks tbody.task", ".saved-views"}
    assert any(
        {part.strip() for part in sel.split(",")} >= deferred
        and "content-visibility: visible" in decl
        for sel, decl in printed
    )
