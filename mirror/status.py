"""What the syncer has done lately: for the staff page, `check_api` and the system check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from django.conf import settings
from django.utils import timezone

from .freshness import Coverage, coverage, window
from .models import SyncRun, SyncSlice


@dataclass(frozen=True)
class SliceState:
    slice: SyncSlice
    stale: bool  # never applied, or not for 3 sync intervals


def recent_runs(count: int = 10) -> list[SyncRun]:
    return list(SyncRun.objects.order_by("-started_at")[:count])


def slices(now: datetime | None = None) -> list[SliceState]:
    """Every slice of the window, in time order, with whether it is stale."""
    now = now or timezone.now()
    start, end = window(now)
    stale_after = timedelta(seconds=3 * settings.ACTIVITIES_SYNC_INTERVAL)
    rows = SyncSlice.objects.filter(start__lt=end, end__gt=start).order_by("start")
    return [
        SliceState(row, row.last_applied_at is None or now - row.last_applied_at > stale_after)
        for row in rows
    ]


def today(now: datetime | None = None) -> Coverage:
    """The copy's freshness for today in `TIME_ZONE`: "data for today as of 10:42:05"."""
    from .sync import day_span  # sync imports the client; this module stays light

    span = day_span(timezone.localdate(now or timezone.now(), timezone.get_default_timezone()))
    return coverage(span.start, span.end, now=now)


def last_finished(now: datetime | None = None) -> datetime | None:
    run = SyncRun.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()
    return run.finished_at if run else None


def write_report(out: TextIO, now: datetime | None = None) -> None:
    """A few lines for `manage.py check_api`: the copy's freshness and the last runs."""
    try:
        _write_report(out, now or timezone.now())
    except Exception as exc:  # noqa: BLE001 (a diagnosis reports what it cannot read)
        out.write(f"Local copy: unknown, the database could not be read ({type(exc).__name__})\n")


def _write_report(out: TextIO, now: datetime) -> None:
    cover = today(now)
    states = slices(now)
    stale = sum(1 for s in states if s.stale)
    if cover.as_of is None:
        out.write("Local copy: today not synced yet (is `manage.py sync_tasks` running?)\n")
    else:
        local = timezone.localtime(cover.as_of)
        out.write(
            f"Local copy: data for today as of {local:%H:%M:%S}"
            + (" (STALE)\n" if cover.stale else "\n")
        )
    out.write(f"Slices:    {len(states)} in the window, {stale} stale or never applied\n")
    for run in recent_runs(5):
        started = timezone.localtime(run.started_at)
        took = (
            f"{(run.finished_at - run.started_at).total_seconds():.1f} s"
            if run.finished_at
            else "running"
        )
        out.write(
            f"Sync run:  {started:%Y-%m-%d %H:%M:%S} {run.kind}: {run.slices_applied} applied, "
            f"{run.slices_failed} failed, {run.tasks_upserted} upserted, "
            f"{run.tasks_deleted} deleted, {took}\n"
        )
        for error in run.errors[:3]:
            out.write(f"           failed {error['slice']}: {error['error']}\n")
