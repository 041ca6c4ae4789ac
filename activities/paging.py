"""Pagination from the API's `meta`: the numbers a supervisor sees around the table."""

from __future__ import annotations

from dataclasses import dataclass

from .api import PageMeta

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
