"""The task list as pages see it: the API client behind a short-lived cache.

A view fetched within `ACTIVITIES_CACHE_TTL` seconds is served from Django's cache
without an API call. When the API fails, a copy up to `ACTIVITIES_STALE_TTL` seconds
old stands in for the answer, marked as stale, instead of an error.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import logging
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlencode

import msgspec
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.utils.translation import gettext_lazy

from . import api as client
from .api import ApiError, TaskPage, TaskQuery
from .recent import Recent

logger = logging.getLogger(__name__)

# Bump when TaskPage's shape or the stored form changes, so old entries are never read
# back. 3: the page is stored as JSON (`_store`), not pickled. 4: with its CRC-32.
CACHE_VERSION = 4

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
_encoder = msgspec.json.Encoder()
# Pages read back from the cache, decoded, by `_version` (see `_load`).
_decoded: Recent[TaskPage] = Recent(32)
# Seconds by which the tabs' counts must be older than the list for the page to say so.
COUNTS_AGE_SHOWN = 5


@dataclass(frozen=True, slots=True)
class Listing:
    """A page of tasks and how fresh it is."""

    page: TaskPage
    fetched_at: datetime  # aware, UTC
    age_seconds: int
    source: str  # "api", "cache", "stale" or "mirror" (the local copy, mirror/)
    error: ApiError | None = None  # why a stale copy (or the local copy) is shown
    # Names this page of data ("" when it cannot be named): the rendered table of the
    # same data is reused while it stays the same (activities/table_html.py).
    version: str = ""

    @property
    def is_stale(self) -> bool:
        return self.source == "stale"


def cache_key(query: TaskQuery) -> str:
    """The cache key of a view: its normalised parameters, the API and its key."""
    return _cache_key(query, settings.ACTIVITIES_API_BASE_URL, settings.ACTIVITIES_API_KEY)


@functools.lru_cache(maxsize=1024)
def _cache_key(query: TaskQuery, base_url: str, api_key: str) -> str:
    # A page asks for five keys (the list and four counts), the same on every view.
    params = urlencode(sorted(query.to_params().items()))
    who = f"{base_url}\n{api_key}"
    digest = hashlib.sha256(f"{who}\n{params}".encode()).hexdigest()[:32]
    return f"activities:tasks:v{CACHE_VERSION}:{digest}"


_UNREAD = object()


def list_tasks(
    query: TaskQuery,
    *,
    refresh: bool = False,
    ttl: int | None = None,
    local_copy: bool = True,
    stored=_UNREAD,
) -> Listing:
    """Return the page for `query`, from the cache when fresh enough.

    A copy is fresh for `ttl` seconds (ACTIVITIES_CACHE_TTL when None). `refresh`
    skips the cached copy (but still stores the new answer). When the API fails and no
    cached copy is young enough, the local copy answers if it covers the view
    (`local_copy`, see `_from_local_copy`). Raises the client's `ApiError` when the API
    fails and no usable copy exists. `stored`: the cache's entry for `query` (or None),
    when the caller has already read it.
    """
    key = cache_key(query)
    # (fetched at, JSON, CRC-32): the page is decoded only if it is shown, not on every miss.
    if stored is _UNREAD:
        stored = cache.get(key)
    now = time.time()
    fresh_for = settings.ACTIVITIES_CACHE_TTL if ttl is None else ttl
    if stored is not None and not refresh and now - stored[0] < fresh_for:
        _log(query, "hit")
        version = _version(key, stored)
        return _listing(_load(stored, version), now, "cache", version=version)

    try:
        page = client.list_tasks(query, cache="refresh" if refresh else "miss")
    except ApiError as exc:
        return _when_failed(query, exc, key, stored, now, local_copy=local_copy)
    stored = _store(now, page)
    cache.set(key, stored, timeout=settings.ACTIVITIES_STALE_TTL)
    version = _version(key, stored)
    _decoded.get(version, lambda: page)  # the next view of it here decodes nothing
    return _listing((now, page), now, "api", version=version)


def _when_failed(query, exc: ApiError, key: str, stored, now: float, *, local_copy: bool):
    """What answers when the API failed: the cached copy while it is young enough to
    show as stale, else the local copy if it covers the view; else `exc` is raised."""
    if exc.stale_ok and stored is not None and now - stored[0] < settings.ACTIVITIES_STALE_TTL:
        _log(query, "stale")
        return _listing(_load(stored, _version(key, stored)), now, "stale", exc)
    local = _from_local_copy(query, exc) if exc.stale_ok and local_copy else None
    if local is None:
        raise exc
    return local


def _store(fetched_at: float, page: TaskPage) -> tuple[float, bytes, int]:
    # JSON through msgspec rather than a pickle of the records: about 10 times cheaper
    # to write and no slower to read back (bench/README.md, "Profile"); JSON rather
    # than msgpack, which would turn every time's UTC offset into +00:00. Its checksum
    # is computed here, once, not on every read of a 100 KB page (`_version`).
    body = _encoder.encode(page)
    return fetched_at, body, zlib.crc32(body)


def _version(key: str, stored: tuple[float, bytes, int]) -> str:
    # The view, when it was fetched and a checksum of what was fetched: two answers
    # never share a name, even under a clock that stands still (tests).
    return f"{key}@{stored[0]!r}:{stored[2]:08x}"


def _load(stored: tuple[float, bytes, int], version: str) -> tuple[float, TaskPage]:
    # Decoded once per process: the records are immutable, and decoding a 100-task
    # page was the largest part of a cached page's CPU once its table was kept.
    fetched_at, body, _ = stored
    return fetched_at, _decoded.get(version, lambda: client.parse_page(body))


def _listing(
    stored: tuple[float, TaskPage], now: float, source: str, error=None, version: str = ""
) -> Listing:
    fetched_at, page = stored
    return Listing(
        page=page,
        fetched_at=datetime.fromtimestamp(fetched_at, UTC),
        age_seconds=max(0, int(now - fetched_at)),
        source=source,
        error=error,
        version=version,
    )


def _log(query: TaskQuery, outcome: str) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    logger.info(
        "cache path=%s params=%s cache=%s request_id=%s",
        client.TASKS_PATH,
        _params_text(query),
        outcome,
        client.request_id.get(),
    )


@functools.lru_cache(maxsize=1024)
def _params_text(query: TaskQuery) -> str:
    # A cached page logs its list and four counts: the same five queries every time.
    return urlencode(query.to_params())


def list_with_counts(query: TaskQuery, *, refresh: bool = False) -> tuple[Listing, Counts]:
    """The page for `query`, and how many tasks each status tab would show.

    Each tab's count is a `per_page=1` call with that status and the other filters,
    made at the same time as the list call and cached for ACTIVITIES_COUNTS_TTL
    (the same for every page of the view), so the page costs about one API round
    trip. The list's own total fills its tab. A count that fails is None; a list
    that fails raises as `list_tasks` does. The counts are a `Counts`.
    """
    list_key, counted = _page_keys(query)
    # The list and the counts in one cache round trip (one lock, one network call).
    found = {} if refresh else cache.get_many([list_key, *(key for _, _, key in counted)])
    stored = found.get(list_key) if not refresh else _UNREAD
    if client.circuit_open():
        # After an outage one call is let through to test the API: make it the list.
        listing = list_tasks(query, refresh=refresh, stored=stored)
        others = _start_counts(counted, refresh, found)
    else:
        others = _start_counts(counted, refresh, found)
        listing = list_tasks(query, refresh=refresh, stored=stored)
    if listing.source == "mirror":
        return listing, _local_counts(query, listing)
    return listing, _counts(listing, query.status, others)


def _page_keys(query: TaskQuery) -> tuple[str, tuple[tuple[str, TaskQuery, str], ...]]:
    """The list's cache key, and (status, query, cache key) of each count call: the
    tabs other than the list's own, each a first page of one task."""
    return _page_keys_for(query, settings.ACTIVITIES_API_BASE_URL, settings.ACTIVITIES_API_KEY)


@functools.lru_cache(maxsize=1024)
def _page_keys_for(query: TaskQuery, base_url: str, api_key: str) -> tuple:
    # The same five keys on every view of a page: worked out once, not five times
    # twice (each a hash of the frozen query and two settings reads).
    counted = []
    for status, _ in STATUS_TABS:
        if status != query.status:
            count_query = replace(query, status=status, page=1, per_page=1)
            counted.append((status, count_query, _cache_key(count_query, base_url, api_key)))
    return _cache_key(query, base_url, api_key), tuple(counted)


class Counts(dict):
    """{status: count or None}, and `as_of`: when the oldest count was fetched, if that
    was before the list (aware UTC datetime), else None."""

    as_of: datetime | None = None


def _counts(listing: Listing, status: str, others: dict) -> Counts:
    """The tabs' counts: the list's own total for its tab, the other calls' for theirs.

    Counts are kept longer than lists (ACTIVITIES_COUNTS_TTL), so they may be older
    than the list; the page then says from when (`as_of`).
    """
    counts = Counts({status: listing.page.meta.total})
    oldest = listing.fetched_at
    for other, pending in others.items():
        try:
            found = pending if isinstance(pending, Listing) else pending.result()
        except ApiError:
            counts[other] = None
        else:
            counts[other] = found.page.meta.total
            oldest = min(oldest, found.fetched_at)
    # Calls made side by side start within moments of each other: not worth a word.
    if (listing.fetched_at - oldest).total_seconds() >= COUNTS_AGE_SHOWN:
        counts.as_of = oldest
    return counts


def _start_counts(counted: tuple, refresh: bool, found: dict) -> dict:
    """{status: its count's `Listing` when `found` (the cache's entries) has it fresh,
    else a future of it}, for `counted`'s (status, query, cache key).

    Counts found in the cache are read here: handing them to the thread pool cost more
    (thread switches under the GIL) than reading them. They are not logged one by one:
    the list's own line says the page came from the cache (a log line costs about as
    much as reading a count).
    """
    if refresh:
        return {status: _submit(q, refresh) for status, q, _ in counted}
    now = time.time()
    ttl = settings.ACTIVITIES_COUNTS_TTL
    started = {}
    for status, q, key in counted:
        stored = found.get(key)
        if stored is not None and now - stored[0] < ttl:
            started[status] = _listing(_load(stored, _version(key, stored)), now, "cache")
        else:
            started[status] = _submit(q, refresh)
    return started


def _submit(query: TaskQuery, refresh: bool):
    # The request id (a context variable) goes along into the worker thread.
    context = contextvars.copy_context()
    # Counts never read the local copy here: worker threads would each hold a database
    # connection; a list answered from the copy counts from it in one query instead.
    ttl = settings.ACTIVITIES_COUNTS_TTL
    return _pool.submit(context.run, list_tasks, query, refresh=refresh, ttl=ttl, local_copy=False)


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


def _local_counts(query: TaskQuery, listing: Listing) -> Counts:
    from mirror import local

    try:
        return Counts(local.status_counts(query))
    except DatabaseError:
        return Counts({query.status: listing.page.meta.total})
