"""The task list answered from the local copy, for when the API is down.

Only for a view whose scheduled period lies inside the synced window and whose every
slice has been applied at least once: anything else could silently miss tasks. The same
filters and page size as the API, in the API's order (scheduled time, then id).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

from activities import api

from .freshness import Coverage, coverage
from .models import TaskRecord
from .records import task_from_record

# The API's filters and the columns they match.
_FILTERS = {
    "status": "status",
    "result_status": "result_status",
    "channel": "channel",
    "external_commerce_id": "commerce_external_id",
    "external_operator_id": "operator_external_id",
}


def covering(query: api.TaskQuery, *, now: datetime | None = None) -> Coverage | None:
    """The copy's coverage of the query's period when the copy can answer it, else None."""
    if query.scheduled_from is None or query.scheduled_to is None:
        return None
    # scheduled_to is the period's last instant; coverage() takes an end it excludes.
    found = coverage(query.scheduled_from, query.scheduled_to + timedelta(microseconds=1), now=now)
    return found if found.complete and found.inside_window else None


def _matching(query: api.TaskQuery, *, status: bool = True) -> QuerySet[TaskRecord]:
    rows = TaskRecord.objects.filter(
        scheduled_at__gte=query.scheduled_from, scheduled_at__lte=query.scheduled_to
    )
    for param, column in _FILTERS.items():
        value = getattr(query, param)
        if value and (status or param != "status"):
            rows = rows.filter(**{column: value})
    return rows


def page(query: api.TaskQuery) -> api.TaskPage:
    """The page `query` asks for, built from the copy (call `covering` first)."""
    rows = _matching(query).order_by("scheduled_at", "id")
    total = rows.count()
    offset = (query.page - 1) * query.per_page
    tasks = tuple(task_from_record(r) for r in rows[offset : offset + query.per_page])
    meta = api.PageMeta(
        page=query.page,
        per_page=query.per_page,
        total=total,
        total_pages=-(-total // query.per_page),
    )
    return api.TaskPage(tasks=tasks, meta=meta)


def status_counts(query: api.TaskQuery) -> dict[str, int]:
    """How many tasks each status tab would list ("" is All), in one query."""
    counts = {f"n_{s}": Count("id", filter=Q(status=s)) for s in api.STATUSES}
    found = _matching(query, status=False).aggregate(n_=Count("id"), **counts)
    return {key.removeprefix("n_"): value for key, value in found.items()}
