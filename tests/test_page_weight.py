"""What keeps a phone's first load light: CSS rules, one sheet, deferred scripts (issue 15).

What these rules save shows in a trace of the page's load (bench/README.md,
"Lighthouse"), not in what a test can see: the browser tests check what they change for
a supervisor (tests/e2e/test_render_cost.py); these check that the rules are there, where
they apply.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


def test_on_a_phone_the_closed_filter_panel_renders_nothing_but_its_summary():
    # Hidden only by the closed <details>, its fields were styled and laid out when
    # parsing ended (Chromium looks for what could take the focus), the date fields'
    # calendar icons built as SVG documents.
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


def test_on_a_phone_the_first_two_cards_stand_in_tall_until_drawn():
    # With card-sized stand-ins the first frame drew every card within about two and a
    # half screens from the top (seven on Lighthouse's 412 x 823 phone, the table starting
    # some 720 px down): two tall stand-ins push the third card past that, so the first
    # frame draws two cards and the next the rest. Once drawn, a card keeps its own height
    # (`auto`), and the other cards stand in at about a card's, so that the page is not
    # much longer than it is before the cards are drawn.
    phone, _ = phone_and_print()
    sizes = dict((sel, decl) for sel, decl in phone if "contain-intrinsic-size" in decl)
    first = re.search(
        r"contain-intrinsic-size: auto (\d+)rem", sizes[".tasks tbody.task:nth-of-type(-n+2)"]
    )
    rest = re.search(r"contain-intrinsic-size: auto (\d+)rem", sizes[".tasks tbody.task"])
    assert first and rest
    assert 720 + 2 * int(first.group(1)) * 15 > 2.5 * 823  # px (1rem is 15 px)
    assert 10 <= int(rest.group(1)) <= 20  # about a card (14rem is 210 px)


def head_assets(html: str) -> tuple[list[str], list[str]]:
    """The `<head>`'s style sheet links and script tags, as written."""
    head = html[: html.index("</head>")]
    return re.findall(r'<link rel="stylesheet"[^>]*>', head), re.findall(r"<script[^>]*>", head)


@pytest.mark.parametrize("path", ["/tasks/", "/team/", "/views/", "/no-such-page/"])
def test_a_page_blocks_its_first_paint_on_one_style_sheet_and_no_script(signed_in, api, path):
    sheets, scripts = head_assets(signed_in.get(path).content.decode())

    assert len(sheets) == 1, sheets
    assert scripts, "the page has its scripts"
    assert all(" src=" in tag and " defer" in tag for tag in scripts), scripts


def test_the_sign_in_page_too(client, db):
    sheets, scripts = head_assets(client.get("/accounts/login/").content.decode())

    assert len(sheets) == 1, sheets
    assert all(" src=" in tag and " defer" in tag for tag in scripts), scripts
