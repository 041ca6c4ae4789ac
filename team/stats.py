"""The team pages' numbers: one function per table, each computed by the database.

Every count is a conditional `Count` in one query (GROUP BY for the tables), so a number
on a page and the same number in `summary.json` come from the same function.
Definitions (README, "Team overview"): `completed`, `cancelled`, `in_progress`,
`pending` count `status`; `effective`/`not_effective` count the result's status;
`overdue` is a pending task scheduled before now; effectiveness is effective ÷
(effective + not effective), None when both are 0.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Max,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast

from activities import ranges
from mirror.records import slot_start

# What each count counts: every task the pages count has a `scheduled_at` in the period,
# so counting it equals counting rows, and unlike `id` (a text key) it is in the index
# the indexes that cover the team pages' queries (mirror.models), so that they
# answer without reading the rows.
COUNTED = "scheduled_at"
COUNT_NAMES = (
    "tasks",
    "completed",
    "cancelled",
    "in_progress",
    "pending",
    "overdue",
    "effective",
    "not_effective",
)
# The chart's stacks, bottom to top: every task is in exactly one (unknown statuses
# and tasks without one are "other").
OUTCOMES = (
    "completed_effective",
    "completed_not_effective",
    "completed_other",
    "pending",
    "in_progress",
    "cancelled",
    "other",
)


def _counts(now: datetime) -> dict:
    done = Q(status="COMPLETED")
    return {
        "tasks": Count(COUNTED),
        "completed": Count(COUNTED, filter=done),
        "cancelled": Count(COUNTED, filter=Q(status="CANCELLED")),
        "in_progress": Count(COUNTED, filter=Q(status="IN_PROGRESS")),
        "pending": Count(COUNTED, filter=Q(status="PENDING")),
        "overdue": Count(COUNTED, filter=Q(status="PENDING", scheduled_at__lt=now)),
        "effective": Count(COUNTED, filter=Q(result_status="EFFECTIVE")),
        "not_effective": Count(COUNTED, filter=Q(result_status="NOT_EFFECTIVE")),
    }


def effectiveness(effective: int, not_effective: int) -> float | None:
    """effective ÷ (effective + not effective); None when there is no result of either."""
    judged = effective + not_effective
    return effective / judged if judged else None


def totals(queryset: QuerySet, *, now: datetime) -> dict:
    """COUNTS over `queryset` (one query) plus `effectiveness`."""
    row = queryset.aggregate(**_counts(now))
    row["effectiveness"] = effectiveness(row["effective"], row["not_effective"])
    return row


def summed(rows: list[dict]) -> dict:
    """`totals` from grouped rows that hold every task once (a table's rows)."""
    row = {name: sum(r[name] for r in rows) for name in COUNT_NAMES}
    row["effectiveness"] = effectiveness(row["effective"], row["not_effective"])
    return row


def totals_with_previous(
    base: QuerySet,
    period: tuple[datetime, datetime],
    previous: tuple[datetime, datetime] | None,
    *,
    now: datetime,
) -> tuple[dict, dict | None]:
    """`totals` of `base` in `period` and in `previous` (None when there is none), in one
    query: one pass over both ranges, each count filtered to its range as well."""
    spans = {"": period, "previous_": previous} if previous else {"": period}
    start, end = min(s for s, _ in spans.values()), max(e for _, e in spans.values())
    counts = {}
    for prefix, (first, last) in spans.items():
        inside = Q(scheduled_at__gte=first, scheduled_at__lt=last)
        for name, count in _counts(now).items():
            counts[prefix + name] = Count(
                COUNTED, filter=inside & count.filter if count.filter else inside
            )
    row = base.filter(scheduled_at__gte=start, scheduled_at__lt=end).aggregate(**counts)
    out = []
    for prefix in spans:
        part = {name: row[prefix + name] for name in COUNT_NAMES}
        part["effectiveness"] = effectiveness(part["effective"], part["not_effective"])
        out.append(part)
    return out[0], (out[1] if previous else None)


# The columns a table sorts by, as database expressions over the grouped rows.
_SORTABLE = {
    **{name: F(name) for name in COUNT_NAMES},
    "effectiveness": F("effectiveness"),
    "completion": F("completion"),
    "name": F("name"),
}


def _grouped(queryset: QuerySet, key: str, *, now: datetime, sort: str) -> QuerySet:
    judged = Cast(F("effective") + F("not_effective"), FloatField())
    rows = (
        queryset.order_by()
        .values(key)
        .annotate(**_counts(now))
        .annotate(
            effectiveness=Case(
                When(
                    Q(effective__gt=0) | Q(not_effective__gt=0),
                    then=Cast("effective", FloatField()) / judged,
                ),
                default=Value(None),
                output_field=FloatField(),
            ),
            completion=Case(
                When(
                    tasks__gt=0, then=Cast("completed", FloatField()) / Cast("tasks", FloatField())
                ),
                default=Value(None),
                output_field=FloatField(),
            ),
        )
    )
    return rows.order_by(*_ordering(sort, key))


def _ordering(sort: str, key: str) -> list:
    descending = sort.startswith("-")
    name = sort.removeprefix("-") or "name"  # by name unless asked otherwise
    expr = F(key) if name == "id" else _SORTABLE.get(name, F("tasks"))
    if name not in _SORTABLE and name != "id":
        descending = True
    first = expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True)
    return [first, F(key).asc(nulls_last=True)]


def by_operator(queryset: QuerySet, *, now: datetime, sort: str = "") -> list[dict]:
    """One row per operator (`operator_external_id`, None for tasks without one):
    external_id, name, type, routes, COUNTS, effectiveness, completion. Two queries:
    the counts, and which routes each operator worked."""
    rows = list(
        _grouped(queryset, "operator_external_id", now=now, sort=sort).annotate(
            name=Max("operator_name"), type=Max("operator_type")
        )
    )
    pairs = (
        queryset.order_by("route_code").values_list("operator_external_id", "route_code").distinct()
    )
    routes: dict[str | None, list[str]] = {}
    for operator, route in pairs:
        if route is not None:
            routes.setdefault(operator, []).append(route)
    for row in rows:
        row["external_id"] = row.pop("operator_external_id")
        row["routes"] = routes.get(row["external_id"], [])
    return rows


def by_route(queryset: QuerySet, *, now: datetime, sort: str = "") -> list[dict]:
    """One row per route (`route_code`, None for tasks without one): code, name,
    COUNTS, effectiveness, completion. One query."""
    rows = list(
        _grouped(queryset, "route_code", now=now, sort=sort).annotate(name=Max("route_name"))
    )
    for row in rows:
        row["code"] = row.pop("route_code")
    return rows


def by_outcome(queryset: QuerySet, *, tz: tzinfo, hourly: bool) -> dict[datetime, dict[str, int]]:
    """Tasks per local hour (or day) by outcome: {bucket start (UTC): {OUTCOMES: count}}.

    Only buckets with tasks are present; one query. The database groups by the
    quarter-hour (`scheduled_slot`); each quarter-hour's local hour or day comes from
    its own instant here, so DST days and :30/:45 offsets fall in the right bucket.
    """
    done = Q(status="COMPLETED")
    known = Q(status__in=("COMPLETED", "PENDING", "IN_PROGRESS", "CANCELLED"))
    rows = (
        queryset.order_by()
        .values("scheduled_slot")
        .annotate(
            completed_effective=Count(COUNTED, filter=done & Q(result_status="EFFECTIVE")),
            completed_not_effective=Count(COUNTED, filter=done & Q(result_status="NOT_EFFECTIVE")),
            completed_other=Count(
                "id", filter=done & ~Q(result_status__in=("EFFECTIVE", "NOT_EFFECTIVE"))
            ),
            pending=Count(COUNTED, filter=Q(status="PENDING")),
            in_progress=Count(COUNTED, filter=Q(status="IN_PROGRESS")),
            cancelled=Count(COUNTED, filter=Q(status="CANCELLED")),
            other=Count(COUNTED, filter=~known | Q(status__isnull=True)),
        )
        .order_by("scheduled_slot")
    )
    buckets: dict[datetime, dict[str, int]] = {}
    for row in rows:
        start = _bucket(row.pop("scheduled_slot"), tz, hourly)
        if start is None:
            continue
        into = buckets.setdefault(start, dict.fromkeys(OUTCOMES, 0))
        for outcome in OUTCOMES:
            into[outcome] += row[outcome]
    return buckets


def _bucket(slot: int | None, tz: tzinfo, hourly: bool) -> datetime | None:
    """The start of the local hour (or day) a quarter-hour slot falls in, in UTC: local
    datetimes in one zone compare without their `fold`, so the repeated hour of a DST
    night would be one key."""
    if slot is None:
        return None
    local = slot_start(slot).astimezone(tz)
    if hourly:
        return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    return ranges.start_of_day(local.date(), tz)


def by_channel(queryset: QuerySet) -> dict[str | None, int]:
    """Tasks per channel: {channel: count}. One query."""
    rows = queryset.order_by().values("channel").annotate(n=Count(COUNTED))
    return {row["channel"]: row["n"] for row in rows}
