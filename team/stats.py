"""The team pages' numbers: one function per table, each computed by the database.

Every count is a conditional count (`CountIf`) in one query (GROUP BY for the tables), so a number
on a page and the same number in `summary.json` come from the same function.
Definitions (README, "Team overview"): `completed`, `cancelled`, `in_progress`,
`pending` count `status`; `effective`/`not_effective` count the result's status;
`overdue` is a pending task scheduled before now; effectiveness is effective ÷
(effective + not effective), None when both are 0.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from django.db import connections
from django.db.models import Expression, IntegerField, Max, QuerySet

from activities import ranges
from mirror.models import TaskRecord
from mirror.records import SLOT_SECONDS, slot_start


class CountIf(Expression):
    """`COUNT(*) FILTER (WHERE column op value AND ...)` (plain `COUNT(*)` without
    conditions): what `Count(..., filter=Q(...))` writes, built without Django making,
    resolving and hashing a where-clause per count (a page's queries have up to 10,
    about a third of their Python time). The conditions are (column, "=" or "<" or
    ">=", value): the task's own columns, values bound as parameters and datetimes
    adapted as Django stores them. Every query here is limited to a period of
    `scheduled_at`, so counting rows counts tasks; `COUNT(*)` reads no column at all.
    SQLite (3.30 or later) and PostgreSQL take FILTER.
    """

    contains_aggregate = True
    contains_over_clause = False

    def __init__(self, *conditions: tuple[str, str, object]) -> None:
        super().__init__(output_field=IntegerField())
        self.conditions = conditions

    def get_group_by_cols(self) -> list:
        return []

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        if not self.conditions:
            return "COUNT(*)", []
        table = connection.ops.quote_name(TaskRecord._meta.db_table)
        parts, params = [], []
        for column, op, value in self.conditions:
            if op not in _OPERATORS:
                raise ValueError(f"unknown operator {op!r}")
            parts.append(f"{table}.{connection.ops.quote_name(column)} {op} %s")
            if isinstance(value, datetime):
                value = connection.ops.adapt_datetimefield_value(value)
            params.append(value)
        return f"COUNT(*) FILTER (WHERE {' AND '.join(parts)})", params


_OPERATORS = ("=", "<", ">=")


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
    return {
        "tasks": CountIf(),
        "completed": CountIf(("status", "=", "COMPLETED")),
        "cancelled": CountIf(("status", "=", "CANCELLED")),
        "in_progress": CountIf(("status", "=", "IN_PROGRESS")),
        "pending": CountIf(("status", "=", "PENDING")),
        "overdue": CountIf(("status", "=", "PENDING"), ("scheduled_at", "<", now)),
        "effective": CountIf(("result_status", "=", "EFFECTIVE")),
        "not_effective": CountIf(("result_status", "=", "NOT_EFFECTIVE")),
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


# What each status and result counts as, for counts folded from grouped rows.
_BY_STATUS = {
    "COMPLETED": "completed",
    "CANCELLED": "cancelled",
    "IN_PROGRESS": "in_progress",
    "PENDING": "pending",
}
_BY_RESULT = {"EFFECTIVE": "effective", "NOT_EFFECTIVE": "not_effective"}


def totals_with_previous(
    base: QuerySet,
    period: tuple[datetime, datetime],
    previous: tuple[datetime, datetime] | None,
    *,
    now: datetime,
) -> tuple[dict, dict | None]:
    """`totals` of `base` in `period` and in `previous` (None when there is none), in one
    query: both ranges' tasks grouped by (status, result status), each group counted per
    range, and the few groups folded here (two counts a range for the database to
    evaluate, not eight: a detail page's KPIs cost a third of what they did)."""
    spans = {"": period, "previous_": previous} if previous else {"": period}
    start, end = min(s for s, _ in spans.values()), max(e for _, e in spans.values())
    late = (("status", "=", "PENDING"), ("scheduled_at", "<", now))
    counts = {}
    for prefix, (first, last) in spans.items():
        inside = (("scheduled_at", ">=", first), ("scheduled_at", "<", last))
        counts[f"{prefix}n"] = CountIf(*inside)
        counts[f"{prefix}late"] = CountIf(*inside, *late)
    groups = list(
        base.filter(scheduled_at__gte=start, scheduled_at__lt=end)
        .order_by()
        .values("status", "result_status")
        .annotate(**counts)
    )
    out = [_folded(groups, prefix) for prefix in spans]
    return out[0], (out[1] if previous else None)


def _folded(groups: list[dict], prefix: str) -> dict:
    part = dict.fromkeys(COUNT_NAMES, 0)
    for group in groups:
        n = group[f"{prefix}n"]
        part["tasks"] += n
        part["overdue"] += group[f"{prefix}late"]
        for name in (_BY_STATUS.get(group["status"]), _BY_RESULT.get(group["result_status"])):
            if name:
                part[name] += n
    part["effectiveness"] = effectiveness(part["effective"], part["not_effective"])
    return part


# The columns a table sorts by: the counts, the two ratios and the name.
_SORTABLE = (*COUNT_NAMES, "effectiveness", "completion", "name")


def pairs(queryset: QuerySet, *, now: datetime) -> list[dict]:
    """COUNTS per (operator, route) worked together, with the names: one query, one pass
    over the period, from which `by_operator`, `by_route` and `summed` fold the tables.

    The groups are already aggregated (an operator works a few routes), so folding
    them is a few hundred additions, not a loop over tasks. SQLite reads them in the
    order of the `mirror_task_operator` index, without sorting the period's rows.
    """
    return list(
        queryset.order_by()
        .values("operator_external_id", "route_code")
        .annotate(
            **_counts(now),
            o_name=Max("operator_name"),
            o_type=Max("operator_type"),
            r_name=Max("route_name"),
        )
    )


def _fold(groups: list[dict], key: str, names: dict[str, str]) -> dict:
    """Sum the groups' COUNTS by `key`; each name is the largest of its groups' (the
    `Max` the database took over every task)."""
    rows: dict = {}
    for group in groups:
        row = rows.get(group[key])
        if row is None:
            row = rows[group[key]] = dict.fromkeys(COUNT_NAMES, 0) | dict.fromkeys(names)
        for name in COUNT_NAMES:
            row[name] += group[name]
        for name, source in names.items():
            value = group[source]
            if value is not None and (row[name] is None or value > row[name]):
                row[name] = value
    for row in rows.values():
        row["effectiveness"] = effectiveness(row["effective"], row["not_effective"])
        row["completion"] = row["completed"] / row["tasks"] if row["tasks"] else None
    return rows


def _sorted(rows: list[dict], sort: str, key: str) -> list[dict]:
    """`rows` by a column (`-` for descending), nulls last, then by `key` (nulls last):
    by name unless asked otherwise, by tasks (most first) for an unknown column."""
    descending = sort.startswith("-")
    name = sort.removeprefix("-") or "name"
    if name == "id":
        name = key
    elif name not in _SORTABLE:
        name, descending = "tasks", True
    rows = sorted(rows, key=lambda row: (row[key] is None, row[key] or ""))
    present = [row for row in rows if row[name] is not None]
    present.sort(key=lambda row: row[name], reverse=descending)  # stable either way
    return present + [row for row in rows if row[name] is None]


def by_outcome(queryset: QuerySet, *, tz: tzinfo, hourly: bool) -> dict[datetime, dict[str, int]]:
    """Tasks per local hour (or day) by outcome: {bucket start (UTC): {OUTCOMES: count}}.

    Only buckets with tasks are present; one query. The database groups by the
    quarter-hour (`scheduled_slot`); each quarter-hour's local hour or day comes from
    its own instant here, so DST days and :30/:45 offsets fall in the right bucket.
    """
    grouped = _per_slot(queryset)
    buckets: dict[datetime, list[int]] = {}
    bucket_of = _Buckets(tz, hourly)
    for slot, n, completed, effective, not_effective, pending, in_progress, cancelled in _rows(
        grouped
    ):
        start = bucket_of(slot)
        if start is None:
            continue
        into = buckets.get(start)
        if into is None:
            into = buckets[start] = [0] * len(OUTCOMES)
        into[0] += effective
        into[1] += not_effective
        into[2] += completed - effective - not_effective
        into[3] += pending
        into[4] += in_progress
        into[5] += cancelled
        into[6] += n - completed - pending - in_progress - cancelled
    return {start: dict(zip(OUTCOMES, counts, strict=True)) for start, counts in buckets.items()}


def _per_slot(queryset: QuerySet) -> QuerySet:
    """The chart's query: per quarter-hour, all tasks, the completed, the completed
    effective and not effective, the pending, in progress and cancelled."""
    done = ("status", "=", "COMPLETED")
    # Seven plain counts per quarter-hour: "completed, other result" and "other" are
    # what is left of the completed and of all tasks, folded in `by_outcome`, rather than two
    # negated conditions for the database to evaluate on every row.
    return (
        queryset.order_by()
        .values("scheduled_slot")
        .annotate(
            n=CountIf(),
            completed=CountIf(done),
            completed_effective=CountIf(done, ("result_status", "=", "EFFECTIVE")),
            completed_not_effective=CountIf(done, ("result_status", "=", "NOT_EFFECTIVE")),
            pending=CountIf(("status", "=", "PENDING")),
            in_progress=CountIf(("status", "=", "IN_PROGRESS")),
            cancelled=CountIf(("status", "=", "CANCELLED")),
        )
        .order_by("scheduled_slot")
        .values_list(
            "scheduled_slot",
            "n",
            "completed",
            "completed_effective",
            "completed_not_effective",
            "pending",
            "in_progress",
            "cancelled",
        )
    )


def _rows(queryset: QuerySet) -> list[tuple]:
    """A `values_list` queryset's rows as the database gives them: the SQL Django
    compiles, without its per-row conversion (about 10 µs a row: a month's chart has
    up to 2,880 quarter-hours). Only for columns whose database value is the Python
    one (integers and text)."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class _Buckets:
    """`_bucket` for slots in ascending order: a day's bucket is computed once and kept
    for the following slots up to the next local midnight (a month's chart asks for up
    to 2,880 slots and 30 days), hours one by one (a day has at most 96 slots)."""

    def __init__(self, tz: tzinfo, hourly: bool) -> None:
        self.tz, self.hourly = tz, hourly
        self.start: datetime | None = None
        self.low = self.high = 0  # the slots [low, high) of the day `start` begins

    def __call__(self, slot: int | None) -> datetime | None:
        if slot is None or self.hourly:
            return _bucket(slot, self.tz, self.hourly)
        if not self.low <= slot < self.high:
            self.start = _bucket(slot, self.tz, False)
            local_day = self.start.astimezone(self.tz).date()
            following = ranges.start_of_day(local_day + timedelta(days=1), self.tz)
            # Kept only while the offset is the same at both ends of the day: a clock
            # going back across midnight would put a slot before `following` on the
            # day before, so such a day is computed slot by slot.
            last = _slot_ceiling(following) - 1
            steady = (
                self.start.astimezone(self.tz).utcoffset()
                == slot_start(last).astimezone(self.tz).utcoffset()
            )
            self.low, self.high = (slot, last + 1) if steady else (0, 0)
        return self.start


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


def _slot_ceiling(moment: datetime) -> int:
    """The first slot that starts at or after `moment`."""
    return -int(-moment.timestamp() // SLOT_SECONDS)


def by_operator(
    queryset: QuerySet, *, now: datetime, sort: str = "", groups: list[dict] | None = None
) -> list[dict]:
    """One row per operator (`operator_external_id`, None for tasks without one):
    external_id, name, type, routes (the codes they worked), COUNTS, effectiveness,
    completion. Folded from `pairs` (one query, none when `groups` is given)."""
    groups = pairs(queryset, now=now) if groups is None else groups
    folded = _fold(groups, "operator_external_id", {"name": "o_name", "type": "o_type"})
    routes: dict[str | None, set[str]] = {}
    for group in groups:
        if group["route_code"] is not None:
            routes.setdefault(group["operator_external_id"], set()).add(group["route_code"])
    for external_id, row in folded.items():
        row["external_id"] = external_id
        row["routes"] = sorted(routes.get(external_id, ()))
    return _sorted(list(folded.values()), sort, "external_id")


def by_route(
    queryset: QuerySet, *, now: datetime, sort: str = "", groups: list[dict] | None = None
) -> list[dict]:
    """One row per route (`route_code`, None for tasks without one): code, name,
    COUNTS, effectiveness, completion. Folded from `pairs`, as `by_operator`."""
    groups = pairs(queryset, now=now) if groups is None else groups
    folded = _fold(groups, "route_code", {"name": "r_name"})
    for code, row in folded.items():
        row["code"] = code
    return _sorted(list(folded.values()), sort, "code")


def by_channel(queryset: QuerySet) -> dict[str | None, int]:
    """Tasks per channel: {channel: count}. One query."""
    rows = queryset.order_by().values("channel").annotate(n=CountIf())
    return {row["channel"]: row["n"] for row in rows}
