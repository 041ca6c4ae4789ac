"""What the team pages show, built from the filterset: the views stay a few lines.

Reads the local copy only (mirror.models), never the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import F, Max, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from activities import l10n, ranges
from activities.formatting import Clock
from mirror.freshness import coverage, window
from mirror.models import TaskRecord

from . import charts, stats
from .filters import NONE_KEY, TeamFilterSet, chips, within
from .links import NumberLinks

# The operators' and routes' tables: their columns, as ?sort= takes them.
GROUP_COLUMNS = (
    "name",
    "id",
    "tasks",
    "completed",
    "effective",
    "not_effective",
    "overdue",
    "cancelled",
    "effectiveness",
    "completion",
)
# A list of tasks: its columns, as ?sort= takes them, and what each sorts by.
TASK_COLUMNS = {
    "scheduled": "scheduled_at",
    "handled": Coalesce("result_occurred_at", "occurred_at"),  # as the table shows it
    "status": "status",
    "result": "result_status",
    "channel": "channel",
    "commerce": "commerce_name",
    "operator": "operator_name",
    "route": "route_code",
}
# What a table of tasks shows (team.tables.task_rows, templates/team/commerce.html).
TASK_TABLE_FIELDS = (
    "status",
    "scheduled_at",
    "occurred_at",
    "result_occurred_at",
    "result_status",
    "channel",
    "commerce_external_id",
    "commerce_name",
    "operator_external_id",
    "operator_name",
    "route_code",
    "route_name",
)
TASKS_PER_PAGE = 50
TIMELINE_MAX = 100

# The KPI cards, in order: (count, label, one-line definition).
KPIS = (
    ("tasks", gettext_lazy("Scheduled"), gettext_lazy("Tasks scheduled in the period.")),
    ("completed", gettext_lazy("Completed"), gettext_lazy("Tasks whose status is completed.")),
    ("cancelled", gettext_lazy("Cancelled"), gettext_lazy("Tasks whose status is cancelled.")),
    (
        "overdue",
        gettext_lazy("Overdue"),
        gettext_lazy("Pending tasks scheduled before now."),
    ),
    ("effective", gettext_lazy("Effective"), gettext_lazy("Tasks whose result is effective.")),
    (
        "not_effective",
        gettext_lazy("Not effective"),
        gettext_lazy("Tasks whose result is not effective."),
    ),
    (
        "effectiveness",
        gettext_lazy("Effectiveness"),
        gettext_lazy("Effective ÷ (effective + not effective); — when there is neither."),
    ),
)


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    definition: str
    value: int | float | None
    change: int | None  # a count's difference, or effectiveness points
    versus: str


@dataclass(frozen=True)
class Freshness:
    as_of: datetime | None
    age_seconds: int | None
    stale: bool
    inside_window: bool
    complete: bool


def freshness(start: datetime, end: datetime, *, now: datetime) -> Freshness:
    """How fresh the copy is for [start, end), for the line every team page shows."""
    cov = coverage(start, end, now=now)
    age = int((now - cov.as_of).total_seconds()) if cov.as_of else None
    return Freshness(cov.as_of, age, cov.stale, cov.inside_window, cov.complete)


def _versus(fs: TeamFilterSet) -> str:
    period = fs.period
    if period.preset == "today":
        return gettext("vs yesterday")
    if period.days == 1:
        return gettext("vs the day before")
    return ngettext(
        "vs the previous %(count)s day", "vs the previous %(count)s days", period.days
    ) % {"count": period.days}


def kpis(
    fs: TeamFilterSet, base: QuerySet, *, now: datetime, current: dict | None = None
) -> tuple[dict, list[Kpi]]:
    """The totals of the period and the KPI cards, each with its change against the
    previous period of the same length in `base` (the same filters without the period).
    One query; `current`, the period's totals when the page has them already, leaves it
    only the previous period to count."""
    period = fs.period
    if current is None:
        current, previous = stats.totals_with_previous(
            base, (period.start, period.end), period.previous, now=now
        )
    else:
        previous = period.previous and stats.totals(within(base, *period.previous), now=now)
    cards = []
    for name, label, definition in KPIS:
        value = current[name]
        before = previous[name] if previous else None
        change = None
        if value is not None and before is not None:
            diff = value - before
            change = round(diff * 100) if name == "effectiveness" else diff
        cards.append(Kpi(name, str(label), str(definition), value, change, _versus(fs)))
    return current, cards


def common(fs: TeamFilterSet, *, now: datetime, fresh: Freshness | None = None) -> dict:
    """What every team page shows: the filters, chips, freshness (`fresh` when the
    caller has it already), the period in words."""
    period = fs.period
    return {
        "filterset": fs,
        "form": fs.form,
        "period": period,
        "period_words": period_words(period),
        "chips": chips(fs, names(fs)),
        "freshness": fresh if fresh is not None else freshness(period.start, period.end, now=now),
        "links": NumberLinks(period, fs.form.cleaned_data, now=now),
        "now": now,
        "window": window(now),
    }


def period_words(period) -> str:
    """The period in words: "Today, Tue 1 Dec, 00:00–23:59", or its first and last days."""
    tz = timezone.get_current_timezone()
    if period.preset == "overdue":
        return ranges.describe(ranges.ResolvedRange("overdue", None, period.end, None, None), tz=tz)
    if period.preset:
        last = period.end - timedelta(microseconds=1)
        resolved = ranges.ResolvedRange(
            period.preset, period.start, last, period.first_day, period.last_day
        )
        return ranges.describe(resolved, tz=tz)
    if period.hourly:
        return l10n.day_month_year(period.first_day)
    return f"{l10n.day_month_year(period.first_day)} – {l10n.day_month_year(period.last_day)}"


def names(fs: TeamFilterSet) -> dict[str, str]:
    """Names of the operators and commerces the filters name, for their chips. One query
    each, only when filtered."""
    data = fs.form.cleaned_data
    found: dict[str, str] = {}
    for field, name_field, key in (
        ("operator_external_id", "operator_name", "external_operator_id"),
        ("commerce_external_id", "commerce_name", "external_commerce_id"),
    ):
        if data.get(key):
            rows = (
                TaskRecord.objects.filter(**{f"{field}__in": data[key]})
                .values(field)
                .annotate(name=Max(name_field))
                .order_by()
            )
            found.update({row[field]: row["name"] for row in rows if row["name"]})
    return found


def overview(fs: TeamFilterSet, *, now: datetime) -> dict:
    """`/team/`: KPI cards, the chart, the operators' and the routes' tables."""
    queryset = fs.qs
    tz = timezone.get_current_timezone()
    # One pass over the period: both tables are folded from its (operator, route) groups.
    groups = stats.pairs(queryset, now=now)
    operators = stats.by_operator(queryset, now=now, sort=fs.sort_key, groups=groups)
    # Every task of the period is in one operator's row (or the no-operator row): their
    # sums are the period's totals, without another pass over its tasks.
    totals, cards = kpis(fs, fs.base_queryset(), now=now, current=stats.summed(operators))
    outcomes = stats.by_outcome(queryset, tz=tz, hourly=fs.period.hourly)
    return {
        "totals": totals,
        "kpis": cards,
        "chart": charts.stacked(outcomes, fs.period, tz),
        "operators": operators,
        "routes": stats.by_route(queryset, now=now, sort=fs.sort_key, groups=groups),
    }


def keyed(queryset: QuerySet, field: str, key: str) -> QuerySet:
    """The tasks of one operator/route/commerce; NONE_KEY for those without one."""
    if key == NONE_KEY:
        return queryset.filter(**{f"{field}__isnull": True})
    return queryset.filter(**{field: key})


def task_page(
    queryset: QuerySet, sort: str, page_number: str | None, count: int | None = None
) -> Page:
    """A page of tasks sorted by a TASK_COLUMNS name (`-` for descending), then by id;
    `count`, the tasks in `queryset` when the page has counted them already."""
    name = sort.removeprefix("-") or "scheduled"
    column = TASK_COLUMNS.get(name, "scheduled_at")
    expr = F(column) if isinstance(column, str) else column
    order = expr.desc(nulls_last=True) if sort.startswith("-") else expr.asc(nulls_last=True)
    # Only the columns the table shows (team.tables.task_rows): not the task's whole
    # JSON, nor the six other instants Django would parse on every row.
    rows = queryset.only(*TASK_TABLE_FIELDS).order_by(order, "id")
    paginator = Paginator(rows, TASKS_PER_PAGE)
    if count is not None:
        paginator.count = count  # a cached property: no second COUNT(*) of the same tasks
    return paginator.get_page(page_number)


def detail(fs: TeamFilterSet, field: str, key: str, *, now: datetime, page: str | None) -> dict:
    """An operator's or a route's page: KPIs, the tasks (sorted, paginated)."""
    queryset = keyed(fs.qs, field, key)
    totals, cards = kpis(fs, keyed(fs.base_queryset(), field, key), now=now)
    first = queryset.values(
        "operator_name", "operator_type", "route_name", "operator_external_id"
    ).first()
    return {
        "key": None if key == NONE_KEY else key,
        "first": first or {},
        "totals": totals,
        "kpis": cards,
        # The KPIs counted the period's tasks with the same filters: the table's count.
        "tasks": task_page(queryset, fs.sort_key, page, count=totals["tasks"]),
        "queryset": queryset,
    }


def operator_timeline(queryset: QuerySet, fs: TeamFilterSet, *, now: datetime) -> dict:
    """The operator's period as lanes: scheduled vs handled, overdue marked."""
    rows = list(
        queryset.order_by("scheduled_at", "id").values(
            "id", "scheduled_at", "occurred_at", "result_occurred_at", "status", "commerce_name"
        )[:TIMELINE_MAX]
    )
    lanes, height = charts.timeline(rows, fs.period, now=now)
    tz = timezone.get_current_timezone()
    return {
        "lanes": lanes,
        "height": height,
        "axis": charts.axis(fs.period, tz),
        "now_x": charts.timeline_x(now, fs.period),
        "marks": charts.timeline_marks(lanes, Clock()),
        "cut": len(rows) == TIMELINE_MAX,
    }


def commerce(external_id: str, *, now: datetime, page: str | None) -> dict:
    """A commerce's visits and calls over the synced window, the latest result first."""
    start, end = window(now)
    queryset = within(
        keyed(TaskRecord.objects.all(), "commerce_external_id", external_id), start, end
    )
    ordered = queryset.only(*TASK_TABLE_FIELDS).order_by(
        F("result_occurred_at").desc(nulls_last=True), F("scheduled_at").desc(), "id"
    )
    return {
        "key": external_id,
        "name": queryset.values_list("commerce_name", flat=True).first(),
        "channels": stats.by_channel(queryset),
        "totals": stats.totals(queryset, now=now),
        "tasks": Paginator(ordered, TASKS_PER_PAGE).get_page(page),
        "freshness": freshness(start, end, now=now),
    }
