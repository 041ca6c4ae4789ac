"""The focus ring's contrast, computed from the stylesheet (WCAG 1.4.11 wants 3:1)."""

from __future__ import annotations

import re
from pathlib import Path

CSS = (Path(__file__).resolve().parent.parent / "static" / "css" / "dashboard.css").read_text()


def variable(name: str) -> str:
    return re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", CSS).group(1)


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def ratio(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def header_background() -> str:
    rule = re.search(r"\.site-header \{[^}]*background: (#[0-9a-fA-F]{6})", CSS)
    return rule.group(1)


def test_the_ratio_is_computed_as_wcag_says():
    assert round(ratio("#000000", "#ffffff"), 1) == 21.0
    assert round(ratio("#f5a623", "#ffffff"), 1) == 2.0  # the old ring: too faint


def test_the_focus_ring_stands_out_on_the_page_and_the_cards():
    assert "outline: 3px solid var(--focus)" in CSS
    for background in ("#ffffff", variable("bg"), variable("card")):
        assert ratio(variable("focus"), background) >= 3


def test_the_focus_ring_stands_out_on_the_dark_header():
    assert ".site-header :focus-visible { outline-color: var(--focus-on-dark); }" in CSS
    assert ratio(variable("focus-on-dark"), header_background()) >= 3
