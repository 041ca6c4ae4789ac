"""The overview and the operator page kept whole per process (activities.kept_pages).

A kept page is answered again only while nothing it shows can have changed. The key
holds, beside the request's own parts (kept_pages: URL, language, zone, user, names):
every slice of the copy as last applied (the syncer writes rows and their slice's
`last_applied_at` in one commit, so any applied change drops the page), and each thing
the page draws from the clock: the local dates (today, the period, the window),
whether now lies in the period (what "overdue" links open), the operator's "now"
line's position, whether the data has turned stale, and the next instant a pending task
turns overdue (one of the operator's; for the overview, anyone's). The data's age in
words is a hole filled anew. A period that ends now (`range=overdue`) or reaches
outside the synced window (where pruning deletes rows without a slice) is never kept.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime

from django.conf import settings
from django.core.signals import setting_changed
from django.db.models import Min
from django.dispatch import receiver
from django.utils import timezone

from activities.formatting import age
from activities.kept_pages import KeptPages
from mirror.freshness import window
from mirror.models import SyncSlice, TaskRecord

from . import charts
from .filters import NONE_KEY, TeamFilterSet

# The freshness line's class: its age in words is the hole (templates/team/_macros.html).
FRESHNESS = b"team-fresh"

pages = KeptPages()
# The team pages' clock: tests replace it to cross an instant without waiting for it.
clock = timezone.now


def operator_key(
    fs: TeamFilterSet, external_id: str, *, now: datetime, freshness
) -> tuple[Hashable, tuple[bytes, str]] | None:
    """The operator page's key and its hole (the age in words), or None: never kept."""
    return _key(
        fs,
        now=now,
        freshness=freshness,
        page=("operator", external_id, charts.timeline_x(now, fs.period)),
        turns_overdue=lambda: _next_overdue("operator_external_id", external_id, now),
    )


def overview_key(
    fs: TeamFilterSet, *, now: datetime, freshness
) -> tuple[Hashable, tuple[bytes, str]] | None:
    """The overview's key and hole, or None. It draws no "now" line; its overdue counts
    change when any pending task turns overdue (every operator's, whatever the filters:
    an earlier instant than needed only draws the page anew sooner)."""
    return _key(
        fs,
        now=now,
        freshness=freshness,
        page=("overview",),
        turns_overdue=lambda: _next_overdue("", "", now),
    )


def _key(fs: TeamFilterSet, *, now: datetime, freshness, page: tuple, turns_overdue):
    """`page`'s own parts, plus what every team page draws from the copy and the clock."""
    if not settings.ACTIVITIES_KEPT_PAGES:
        return None
    period = fs.period
    win_start, win_end = window(now)
    previous = period.previous
    if previous is None or previous[0] < win_start or period.end > win_end:
        return None
    if freshness.as_of is None:
        return None
    tz = timezone.get_current_timezone()
    key = (
        *page,
        tuple(SyncSlice.objects.order_by("pk").values_list("pk", "last_applied_at")),
        freshness.stale,
        timezone.localdate(now, tz),
        timezone.localdate(now, timezone.get_default_timezone()),
        timezone.localdate(),  # the tables' dates (activities.formatting.Clock)
        period.start,
        period.end,
        period.start <= now < period.end,
        turns_overdue(),
    )
    return key, (FRESHNESS, age(freshness.age_seconds))


def _next_overdue(field: str, key: str, now: datetime) -> datetime | None:
    """The first pending task scheduled at or after `now` (of those whose `field` is
    `key`; every task's when `field` is ""): past that instant it is overdue."""
    tasks = TaskRecord.objects.filter(status="PENDING", scheduled_at__gte=now)
    if field and key == NONE_KEY:
        tasks = tasks.filter(**{f"{field}__isnull": True})
    elif field:
        tasks = tasks.filter(**{field: key})
    return tasks.aggregate(first=Min("scheduled_at"))["first"]


@receiver(setting_changed)
def _forget_pages(**kwargs) -> None:
    # Pages show settings (the sync interval, the window): tests change them.
    pages.clear()
