"""The task list as pages see it: the API client behind a short-lived cache.

A view fetched within `ACTIVITIES_CACHE_TTL` seconds is served from Django's cache
without an API call. When the API fails, a copy up to `ACTIVITIES_STALE_TTL` seconds
old stands in for the answer, marked as stale, instead of an error.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.utils.translation import gettext_lazy

from . import api as client
from .api import ApiError, TaskPage, TaskQuery

logger = logging.getLogger(__name__)

# Bump when TaskPage's shape changes, so old pickles are never read back.
CACHE_VERSION = 2

# The status tabs above the list: (status parameter, label); "" is All. The labels are
# lazy: they are read while a page renders, in that request's language.
STATUS_TABS = (
    ("", gettext_lazy("All")),
    ("PENDING", gettext_lazy("Pending")),
    ("IN_PROGRESS", gettext_lazy("In progress")),
    ("COMPLETED", gettext_lazy("Completed")),
    ("CANCELLED", gettext_lazy("Cancelled")),
)

# Shared by all requests: tab counts are I/O-bound API calls made side by side.
_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="activities")


@dataclass(frozen=True, slots=True)
class Listing:
    """A page of tasks and how fresh it is."""

    page: TaskPage
    fetched_at: datetime  # aware, UTC
    age_seconds: int
    source: str  # "api", "cache", "stale" or "mirror" (the local copy, mirror/)
    error: ApiError | None = None  # why a stale copy (or the local copy) is shown

    @property
    def is_stale(self) -> bool:
        return self.source == "stale"


def cache_key(query: TaskQuery) -> str:
    """The cache key of a view: its normalised parameters, the API and its key."""
    params = urlencode(sorted(query.to_params().items()))
    who = f"{settings.ACTIVITIES_API_BASE_URL}\n{settings.ACTIVITIES_API_KEY}"
    digest = hashlib.sha256(f"{who}\n{params}".encode()).hexdigest()[:32]
    return f"activities:tasks:v{CACHE_VERSION}:{digest}"


def list_tasks(query: TaskQuery, *, refresh: bool = False, local_copy: bool = True) -> Listing:
    """Return the page for `query`, from the cache when fresh enough.

    `refresh` skips the cached copy (but still stores the new answer). When the API fails
    and no cached copy is young enough, the local copy answers if it covers the view
    (`local_copy`, see `_from_local_copy`). Raises the client's `ApiError` when the API
    fails and no usable copy exists.
    """
    key = cache_key(query)
    stored = cache.get(key)
    now = time.time()
    if stored is not None and not refresh and now - stored[0] < settings.ACTIVITIES_CACHE_TTL:
        _log(query, "hit")
        return _listing(stored, now, "cache")

    try:
        page = client.list_tasks(query, cache="refresh" if refresh else "miss")
    except ApiError as exc:
        if exc.stale_ok and stored is not None and now - stored[0] < settings.ACTIVITIES_STALE_TTL:
            _log(query, "stale")
            return _listing(stored, now, "stale", exc)
        local = _from_local_copy(query, exc) if exc.stale_ok and local_copy else None
        if local is None:
            raise
        return local
    cache.set(key, (now, page), timeout=settings.ACTIVITIES_STALE_TTL)
    return _listing((now, page), now, "api")


def _listing(stored: tuple[float, TaskPage], now: float, source: str, error=None) -> Listing:
    fetched_at, page = stored
    return Listing(
        page=page,
        fetched_at=datetime.fromtimestamp(fetched_at, UTC),
        age_seconds=max(0, int(now - fetched_at)),
        source=source,
        error=error,
    )


def _log(query: TaskQuery, outcome: str) -> None:
    logger.info(
        "cache path=%s params=%s cache=%s request_id=%s",
        client.TASKS_PATH,
        urlencode(query.to_params()),
        outcome,
        client.request_id.get(),
    )


def list_with_counts(
    query: TaskQuery, *, refresh: bool = False
) -> tuple[Listing, dict[str, int | None]]:
    """The page for `query`, and how many tasks each status tab would show.

    Each tab's count is a `per_page=1` call with that status and the other filters,
    made at the same time as the list call and cached like it, so the page costs
    about one API round trip. The list's own total fills its tab. A count that
    fails is None; a list that fails raises as `list_tasks` does.
    """
    count_queries = {
        status: replace(query, status=status, page=1, per_page=1)
        for status, _ in STATUS_TABS
        if status != query.status
    }
    if client.circuit_open():
        # After an outage one call is let through to test the API: make it the list.
        listing = list_tasks(query, refresh=refresh)
        others = {s: _submit(q, refresh) for s, q in count_queries.items()}
    else:
        others = {s: _submit(q, refresh) for s, q in count_queries.items()}
        listing = list_tasks(query, refresh=refresh)
    if listing.source == "mirror":
        return listing, _local_counts(query, listing)
    counts: dict[str, int | None] = {query.status: listing.page.meta.total}
    for status, future in others.items():
        try:
            counts[status] = future.result().page.meta.total
        except ApiError:
            counts[status] = None
    return listing, counts


def _submit(query: TaskQuery, refresh: bool):
    # The request id (a context variable) goes along into the worker thread.
    context = contextvars.copy_context()
    # Counts never read the local copy here: worker threads would each hold a database
    # connection; a list answered from the copy counts from it in one query instead.
    return _pool.submit(context.run, list_tasks, query, refresh=refresh, local_copy=False)


# --- The local copy (mirror/), when the API is down -------------------------------------------


def _from_local_copy(query: TaskQuery, error: ApiError) -> Listing | None:
    """The view from the local copy when it covers the view's whole scheduled period,
    every slice of it applied at least once; else None. Never raises: the error page
    the API's failure gives is the answer then."""
    from mirror import local  # the mirror app builds on this one, not the other way

    try:
        covered = local.covering(query)
        page = local.page(query) if covered is not None else None
    except (DatabaseError, ValueError) as exc:
        logger.warning("local copy unusable for %s: %s", urlencode(query.to_params()), exc)
        return None
    if page is None:
        return None
    _log(query, "mirror")
    now = time.time()
    fetched = covered.as_of.timestamp()
    return _listing((fetched, page), now, "mirror", error)


def _local_counts(query: TaskQuery, listing: Listing) -> dict[str, int | None]:
    from mirror import local

    try:
        return dict(local.status_counts(query))
    except DatabaseError:
        return {query.status: listing.page.meta.total}
