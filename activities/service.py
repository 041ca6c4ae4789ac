"""The task list as pages see it: the API client behind a short-lived cache.

A view fetched within `ACTIVITIES_CACHE_TTL` seconds is served from Django's cache
without an API call. When the API fails, a copy up to `ACTIVITIES_STALE_TTL` seconds
old stands in for the answer, marked as stale, instead of an error.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache

from . import client
from .client import ApiError, TaskPage, TaskQuery

logger = logging.getLogger(__name__)

# Bump when TaskPage's shape changes, so old pickles are never read back.
CACHE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Listing:
    """A page of tasks and how fresh it is."""

    page: TaskPage
    fetched_at: datetime  # aware, UTC
    age_seconds: int
    source: str  # "api", "cache" or "stale"
    error: ApiError | None = None  # why a stale copy is shown

    @property
    def is_stale(self) -> bool:
        return self.source == "stale"


def cache_key(query: TaskQuery) -> str:
    """The cache key of a view: its normalised parameters, the API and its key."""
    params = urlencode(sorted(query.to_params().items()))
    who = f"{settings.ACTIVITIES_API_BASE_URL}\n{settings.ACTIVITIES_API_KEY}"
    digest = hashlib.sha256(f"{who}\n{params}".encode()).hexdigest()[:32]
    return f"activities:tasks:v{CACHE_VERSION}:{digest}"


def list_tasks(query: TaskQuery, *, refresh: bool = False) -> Listing:
    """Return the page for `query`, from the cache when fresh enough.

    `refresh` skips the cached copy (but still stores the new answer). Raises the
    client's `ApiError` when the API fails and no usable copy exists.
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
        raise
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
