"""The local copy for the team pages' tests: rows as a sync writes them, in one place.

`store(*records)` takes tasks in the API's JSON shape (tests.records) and writes the
TaskRecord rows the syncer would, with every slice of the synced window marked applied
`applied_at`. Once mirror.sync is in main this should call its row builder instead.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.utils import timezone

from activities import api, presenter
from mirror.freshness import window
from mirror.models import SyncSlice, TaskRecord


def _parse(record: dict) -> api.Task:
    """The task as the client reads it, through the public parser of a page."""
    meta = {"page": 1, "per_page": 1, "total": 1, "total_pages": 1, "totalPages": 1}
    body = {"data": [record], "meta": meta}
    try:
        return api.parse_page(body).tasks[0]  # activities/client.py: a decoded body
    except TypeError:
        return api.parse_page(json.dumps(body)).tasks[0]  # activities/api/: JSON text


def row(record: dict, *, seen: datetime | None = None) -> TaskRecord:
    task = _parse(record)
    result = task.result
    return TaskRecord(
        id=task.id,
        status=task.status,
        channel=task.channel,
        origin=task.origin,
        type=task.type,
        scheduled_at=task.scheduled_at,
        occurred_at=task.occurred_at,
        created_at=task.created_at,
        lifecycle_status=task.lifecycle_status,
        lifecycle_label=task.lifecycle_label,
        commerce_external_id=task.commerce_external_id,
        commerce_name=task.commerce_name,
        reason_code=task.reason.code if task.reason else None,
        reason_label=task.reason.label if task.reason else None,
        operator_external_id=presenter.operator_id(task),
        operator_name=presenter.operator_name(task),
        operator_type=presenter.operator_type(task),
        route_code=presenter.route_code(task),
        route_name=presenter.route_name(task),
        result_status=presenter.result_status(task),
        result_occurred_at=result.occurred_at if result else None,
        result_created_at=result.created_at if result else None,
        result_source=result.source if result else None,
        data=record,
        last_seen_at=seen or timezone.now(),
    )


def store(*records: dict, applied_at: datetime | None = None) -> None:
    """Write `records` as the copy, the whole window applied at `applied_at` (now)."""
    TaskRecord.objects.bulk_create([row(r) for r in records])
    start, end = window()
    SyncSlice.objects.update_or_create(
        start=start, end=end, defaults={"last_applied_at": applied_at or timezone.now()}
    )


def make(
    task_id: str,
    scheduled: datetime | None,
    *,
    status: str = "PENDING",
    result: str | None = None,
    operator: tuple[str, str] | None = ("OP-1", "Ana Rojas"),
    route: tuple[str, str] | None = ("R-1", "Ruta Norte"),
    channel: str = "SALESMAN",
    commerce: tuple[str, str] = ("COM-1", "Farmacia Central"),
    handled: datetime | None = None,
) -> dict:
    """A task record in the API's shape with what the team pages look at."""
    from tests.records import task

    def iso(moment: datetime) -> str:
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

    details = {
        "type": "TASK",
        "assignedRouteCode": route[0] if route else None,
        "assignedOperatorExternalId": operator[0] if operator else None,
        "assignedRoute": {"code": route[0], "name": route[1]} if route else None,
        "assignedOperator": (
            {"externalId": operator[0], "name": operator[1], "type": "SALESMAN"}
            if operator
            else None
        ),
    }
    outcome = None
    if result is not None:
        outcome = {
            "id": f"r-{task_id}",
            "resultStatus": result,
            "source": "MOBILE_APP",
            "occurredAt": iso(handled) if handled else None,
            "createdAt": None,
        }
    return task(
        id=task_id,
        status=status,
        channel=channel,
        scheduledAt=iso(scheduled) if scheduled else None,
        occurredAt=iso(handled) if handled else None,
        commerceExternalId=commerce[0],
        commerceName=commerce[1],
        activityDetails=details,
        activityResult=outcome,
    )
