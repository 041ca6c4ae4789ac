"""axe-core's scan as the browser tests run it: the same rules, colours read cheaply."""

from __future__ import annotations

from axe_playwright_python.base import AXE_SCRIPT
from axe_playwright_python.sync_playwright import Axe as LibraryAxe

# axe-core (4.12) reads every colour, which Chromium's getComputedStyle gives as
# `rgb(r, g, b)` or `rgba(r, g, b, a)`, through colorjs.io's general parser and gamut
# mapping: about a fifth of a scan's CPU, the colour-contrast rule being most of a scan.
# These strings are read directly into the same fields (sRGB channels 0-1, alpha) that
# parser fills; anything else (another colour space, percentages, `none`) still goes
# through it. The rules, the pages and what a violation is do not change.
_RGB_READ_DIRECTLY = r"""
;(() => {
  const Color = axe.commons.color.Color;
  const general = Color.prototype.parseString;
  const number = "(\\d+(?:\\.\\d+)?)";
  const rgb = new RegExp(
    `^rgba?\\(${number}, ${number}, ${number}(?:, (\\d*(?:\\.\\d+)?))?\\)$`
  );
  Color.prototype.parseString = function (text) {
    const channels = rgb.exec(text);
    if (!channels || channels.slice(1, 4).some((c) => +c > 255)) {
      return general.call(this, text);
    }
    this.r = channels[1] / 255;
    this.g = channels[2] / 255;
    this.b = channels[3] / 255;
    this.alpha = channels[4] === undefined ? 1 : Math.min(+channels[4], 1);
    return this;
  };
})();
"""


class Axe(LibraryAxe):
    """axe_playwright_python's Axe: `Axe().run(page)` injects axe-core and scans."""

    def __init__(self) -> None:
        super().__init__(axe_script=AXE_SCRIPT + _RGB_READ_DIRECTLY)
