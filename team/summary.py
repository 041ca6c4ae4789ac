"""`/team/summary.json`: the overview's numbers for wallboards and checks.

The same functions as the page (team.stats), so a number on the page and here agree.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from . import stats
from .filters import TeamFilterSet
from .pages import freshness

_COUNTS = (*stats.COUNT_NAMES, "effectiveness")


def _counts(row: dict) -> dict:
    return {name: row[name] for name in _COUNTS}


def _instant(value: datetime | None) -> str | None:
    """ISO 8601 with the viewer's offset: "2026-12-01T00:00:00-03:00"."""
    return timezone.localtime(value).isoformat() if value else None


def build(fs: TeamFilterSet, *, now: datetime) -> dict:
    """{"as_of", "from", "to", "totals", "operators", "routes"} for a valid filterset."""
    queryset, period, sort = fs.qs, fs.period, fs.sort_key
    groups = stats.pairs(queryset, now=now)  # one query for both lists
    operators = stats.by_operator(queryset, now=now, sort=sort, groups=groups)
    return {
        "as_of": _instant(freshness(period.start, period.end, now=now).as_of),
        "from": _instant(period.start),
        "to": _instant(period.end),
        "totals": _counts(stats.summed(operators)),  # as the page's KPIs (team.pages)
        "operators": [
            {"external_id": row["external_id"], "name": row["name"], **_counts(row)}
            for row in operators
        ],
        "routes": [
            {"code": row["code"], "name": row["name"], **_counts(row)}
            for row in stats.by_route(queryset, now=now, sort=sort, groups=groups)
        ],
    }
