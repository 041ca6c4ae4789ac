"""How fresh the local copy is for a span of scheduled time: what the team pages say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .models import SyncSlice


@dataclass(frozen=True)
class Coverage:
    """What the copy knows of [start, end).

    `complete`: every instant of the span lies in a slice that was applied at least once.
    `as_of`: when the least recently applied of those slices was last read whole (None
    when some part was never applied). `inside_window`: the span lies in the synced
    window. `stale`: `as_of` is older than 3 sync intervals.
    """

    start: datetime
    end: datetime
    as_of: datetime | None
    complete: bool
    inside_window: bool
    stale: bool


def window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The synced window: local midnight `ACTIVITIES_SYNC_DAYS_BACK` days ago to the end
    of the day `ACTIVITIES_SYNC_DAYS_AHEAD` days ahead, in `TIME_ZONE`."""
    now = timezone.localtime(now or timezone.now(), timezone.get_default_timezone())
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=settings.ACTIVITIES_SYNC_DAYS_BACK)
    end = today + timedelta(days=settings.ACTIVITIES_SYNC_DAYS_AHEAD + 1)
    # zoneinfo arithmetic is wall-clock: both ends stay local midnights across DST.
    return start, end


def coverage(start: datetime, end: datetime, *, now: datetime | None = None) -> Coverage:
    """The copy's freshness for [start, end): one query over the slices that overlap it."""
    now = now or timezone.now()
    win_start, win_end = window(now)
    slices = list(
        SyncSlice.objects.filter(start__lt=end, end__gt=start)
        .order_by("start")
        .values_list("start", "end", "last_applied_at")
    )
    covered_to = start
    as_of: datetime | None = None
    complete = True
    for s_start, s_end, applied in slices:
        if applied is None:
            continue
        if s_start > covered_to:
            break
        covered_to = max(covered_to, s_end)
        as_of = applied if as_of is None else min(as_of, applied)
    if covered_to < end:
        complete, as_of = False, None
    stale_after = timedelta(seconds=3 * settings.ACTIVITIES_SYNC_INTERVAL)
    return Coverage(
        start=start,
        end=end,
        as_of=as_of,
        complete=complete,
        inside_window=win_start <= start and end <= win_end,
        stale=as_of is None or now - as_of > stale_after,
    )
