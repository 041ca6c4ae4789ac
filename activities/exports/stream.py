"""The export's body: every page of a view, fetched a few ahead and written in order."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from itertools import chain
from typing import TypeVar

from django.utils import translation
from django.utils.translation import gettext

from activities import api
from activities.api import TaskPage, TaskQuery

from .formats import ExportFormat

# The name the export has always logged under; log searches rely on it.
logger = logging.getLogger("activities.export")
T = TypeVar("T")


class Pacer:
    """Keeps an export to `share` of one core, so that the pages keep the rest.

    `counted(work, ...)` (the page fetches, in their threads) and `run(work, ...)` (the
    formatting of each page) time `work` on the calling thread's CPU clock; `run` then
    sleeps `spent × (1 − share) / share` for all the CPU time counted since its last
    pause (at 0.5: as long as the export worked). Exports are CPU-bound, and a sleep
    releases the GIL, so the page threads of the same worker and the other workers get
    the cores meanwhile. `share` 1 never sleeps.
    """

    def __init__(
        self,
        share: float,
        *,
        clock: Callable[[], float] = time.thread_time,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.share = share
        self._clock, self._sleep = clock, sleep
        self._owed = 0.0
        self._guard = threading.Lock()

    def counted(self, work: Callable[..., T], *args: object, **kwargs: object) -> T:
        """`work(*args, **kwargs)`'s result; its CPU time is paused for at the next `run`."""
        started = self._clock()
        try:
            return work(*args, **kwargs)
        finally:
            spent = self._clock() - started
            with self._guard:
                self._owed += spent

    def run(self, work: Callable[..., T], *args: object) -> T:
        """`work(*args)`'s result, after the pause its and the counted CPU time call for."""
        result = self.counted(work, *args)
        with self._guard:
            spent, self._owed = self._owed, 0.0
        if spent > 0 and self.share < 1:
            self._sleep(spent * (1 - self.share) / self.share)
        return result


class PageFetcher:
    """Pages 2…`last_page` of `query`, requested `concurrency` ahead, yielded in order.

    Calls go through the "export" client, whose circuit breaker is not the pages' one.
    `close()` cancels what is not yet requested (the client went away).
    """

    def __init__(
        self,
        query: TaskQuery,
        *,
        last_page: int,
        concurrency: int,
        language: str,
        pacer: Pacer | None = None,
    ):
        self._query, self._last, self._ahead = query, last_page, concurrency
        self._language, self._pacer = language, pacer or Pacer(1)
        self._next = 2
        self._pending: deque[Future[TaskPage]] = deque()
        self._executor = None
        if last_page > 1:
            self._executor = ThreadPoolExecutor(
                max_workers=min(concurrency, last_page - 1), thread_name_prefix="export"
            )

    @property
    def requested(self) -> int:
        return self._next - 1

    def fill(self) -> None:
        """Keep `concurrency` pages requested ahead of the one being written."""
        while self._next <= self._last and len(self._pending) < self._ahead:
            page_query = replace(self._query, page=self._next)
            self._pending.append(self._executor.submit(self._fetch, page_query))
            self._next += 1

    def __iter__(self) -> Iterator[TaskPage]:
        while self._pending:
            page = self._pending.popleft().result()
            self.fill()
            yield page

    def _fetch(self, query: TaskQuery) -> TaskPage:
        # Worker threads do not share the request's language: an error raised here must
        # still read in it.
        with translation.override(self._language):
            return self._pacer.counted(api.list_tasks, query, purpose="export")

    def close(self) -> None:
        for future in self._pending:
            future.cancel()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)


def stream(
    first: api.TaskPage,
    query: TaskQuery,
    fmt: ExportFormat,
    *,
    concurrency: int,
    max_rows: int,
    language: str | None = None,
    pacer: Pacer | None = None,
) -> Iterator[bytes]:
    """Yield the file in chunks of about one page, starting from the already fetched `first`.

    Never raises for a failed page: the file ends with `fmt.incomplete(...)` instead.
    Its sentences, and those of errors met in the worker threads, are in `language`
    (by default the active one when the first chunk is asked for). Empty chunks are
    not yielded (the Excel format's compressor may hold back a page's rows). `pacer`
    paces the formatting (by default it does not).
    """
    language = language or translation.get_language()
    last_page = min(first.meta.total_pages, -(-max_rows // query.per_page))
    pacer = pacer or Pacer(1)
    pages = PageFetcher(
        query, last_page=last_page, concurrency=concurrency, language=language, pacer=pacer
    )
    try:
        chunks = _chunks(
            first, query, pages, fmt, max_rows=max_rows, language=language, pacer=pacer
        )
        yield from (chunk for chunk in chain(chunks, fmt.tail()) if chunk)
    finally:
        # Reached on completion, on failure and when the client goes away (close()).
        pages.close()
        fmt.close()


class _Count:
    rows = 0


def _rows(
    first: TaskPage,
    pages: PageFetcher,
    fmt: ExportFormat,
    max_rows: int,
    count: _Count,
    pacer: Pacer,
) -> Iterator[bytes]:
    pages.fill()
    chunk = fmt.head()
    for page in chain([first], pages):
        tasks = page.tasks[: max_rows - count.rows]
        count.rows += len(tasks)
        yield chunk + pacer.run(fmt.rows, tasks)
        chunk = b""
        if count.rows >= max_rows:
            break


def _chunks(
    first: TaskPage,
    query: TaskQuery,
    pages: PageFetcher,
    fmt: ExportFormat,
    *,
    max_rows: int,
    language: str,
    pacer: Pacer,
) -> Iterator[bytes]:
    started, count, params = time.monotonic(), _Count(), query.to_params()
    kind = fmt.extension
    try:
        yield from _rows(first, pages, fmt, max_rows, count, pacer)
    except api.ApiError as exc:
        what = f"{type(exc).__name__} {exc.detail or exc}"
        logger.warning(
            "export %s incomplete after %d rows: %s params=%s", kind, count.rows, what, params
        )
        error = str(exc)
    except Exception:
        logger.exception("export %s broke after %d rows params=%s", kind, count.rows, params)
        error = ""
    else:
        # Translated here, yielded outside: a suspended override would leak to the caller.
        with translation.override(language):
            note = b""
            if first.meta.total > max_rows:
                note = fmt.truncated(
                    total=first.meta.total, max_rows=max_rows, rows_written=count.rows
                )
        yield note
        _log_done(kind, count.rows, pages.requested, started, params)
        return
    with translation.override(language):
        marker = fmt.incomplete(
            error or gettext("An unexpected error stopped the export."), count.rows
        )
    yield marker


def _log_done(kind: str, rows: int, requested: int, started: float, params: dict) -> None:
    elapsed_ms = (time.monotonic() - started) * 1000
    logger.info(
        "export %s done rows=%d pages_requested=%d elapsed_ms=%.0f params=%s",
        *(kind, rows, max(1, requested), elapsed_ms, params),
    )
