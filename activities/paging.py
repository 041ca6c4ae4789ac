"""Pagination from the API's `meta`: the numbers a supervisor sees around the table,
and the page links' list as ready HTML."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext
from markupsafe import Markup

from . import l10n
from .api import PageMeta
from .formatting import escape_text

# Page numbers shown on each side of the current one before an ellipsis.
WINDOW = 2


@dataclass(frozen=True, slots=True)
class Pager:
    page: int
    per_page: int
    total: int
    total_pages: int
    shown: int  # rows on this page

    @classmethod
    def from_meta(cls, meta: PageMeta, shown: int) -> Pager:
        # Trust `total`, not `totalPages`, when they disagree: it is what is shown.
        total_pages = max(meta.total_pages, -(-meta.total // max(meta.per_page, 1)))
        return cls(meta.page, meta.per_page, meta.total, total_pages, shown)

    @property
    def first_row(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.shown else 0

    @property
    def last_row(self) -> int:
        return self.first_row + self.shown - 1 if self.shown else 0

    @property
    def past_the_end(self) -> bool:
        return self.shown == 0 and self.total > 0 and self.page > self.total_pages

    @property
    def previous(self) -> int | None:
        return min(self.page - 1, self.total_pages) if self.page > 1 else None

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.page < self.total_pages else None

    def numbers(self) -> list[int | None]:
        """Page numbers to link, with None where a run of pages is left out."""
        if self.total_pages <= 1:
            return []
        wanted = {1, self.total_pages}
        wanted.update(range(self.page - WINDOW, self.page + WINDOW + 1))
        pages = sorted(n for n in wanted if 1 <= n <= self.total_pages)
        out: list[int | None] = []
        for n in pages:
            if out and n - out[-1] == 2:
                out.append(n - 1)  # a gap of one page is shown, not elided
            elif out and n - out[-1] > 2:
                out.append(None)
            out.append(n)
        return out

    def links(self, link: Callable[[str, int], str]) -> list[tuple[str, int | None, str]]:
        """The page links in order, each (kind, page, URL): "first", "previous", "page",
        "current", "gap" (no page, no URL), "next" and "last". `link("page", n)` is
        page n's URL (`formatting.FilterLinks`); `links_html` draws them."""
        items: list[tuple[str, int | None, str]] = []
        if self.previous:
            items += [
                ("first", 1, link("page", 1)),
                ("previous", self.previous, link("page", self.previous)),
            ]
        for n in self.numbers():
            if n is None:
                items.append(("gap", None, ""))
            else:
                items.append(("current" if n == self.page else "page", n, link("page", n)))
        if self.next:
            items += [
                ("next", self.next, link("page", self.next)),
                ("last", self.total_pages, link("page", self.total_pages)),
            ]
        return items


@l10n.per_language
def _words() -> dict[str, str]:
    # As `{{ _("…") }}` prints them: translations are trusted markup, formatted.
    return {
        "first": gettext("First") % {},
        "previous": gettext("Previous") % {},
        "next": gettext("Next") % {},
        "last": gettext("Last") % {},
        "page": gettext("Page %(number)s"),
    }


def links_html(pager: Pager, link: Callable[[str, int], str]) -> Markup:
    """The page links' `<ul>`, which task_list.html prints above and below the table
    (each in its `<nav>`). Built here rather than by a template, like the table's rows
    (activities/table_html.py): drawn through Jinja2, its dozen links cost as much as
    the rest of the page's header (bench/README.md, "Eleventh pass")."""
    words = _words()
    items = []
    for kind, n, href in pager.links(link):
        href = escape_text(href)
        if kind == "page":
            label = words["page"] % {"number": n}
            items.append(f'<li><a href="{href}" aria-label="{label}">{n}</a></li>')
        elif kind == "current":
            items.append(f'<li><a href="{href}" aria-current="page">{n}</a></li>')
        elif kind == "gap":
            items.append('<li class="gap" aria-hidden="true">…</li>')
        else:
            items.append(_WORD_LINKS[kind].format(href=href, word=words[kind]))
    html = "\n".join(items)
    return Markup(f"<ul>\n{html}\n</ul>")  # noqa: S704 (URLs escaped, words trusted)  # nosec B704


_WORD_LINKS = {
    "first": '<li><a href="{href}">« {word}</a></li>',
    "previous": '<li><a href="{href}" rel="prev">‹ {word}</a></li>',
    "next": '<li><a href="{href}" rel="next">{word} ›</a></li>',
    "last": '<li><a href="{href}">{word} »</a></li>',
}
