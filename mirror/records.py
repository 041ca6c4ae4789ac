"""A task as a row of the local copy, and back: the one place that maps `api.Task` to columns.

`data` holds the task in the API's own JSON shape (camelCase, UTC instants), so that
`api.parse_task` rebuilds the same typed `Task` from a row: the list page's fallback
shows rows from the copy through the same templates as live ones.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from activities import api, presenter

from .models import TaskRecord

# The columns a sync compares and writes, besides `id` and `last_seen_at`.
COLUMNS = (
    "status",
    "channel",
    "origin",
    "type",
    "scheduled_at",
    "occurred_at",
    "created_at",
    "lifecycle_status",
    "lifecycle_label",
    "commerce_external_id",
    "commerce_name",
    "reason_code",
    "reason_label",
    "operator_external_id",
    "operator_name",
    "operator_type",
    "route_code",
    "route_name",
    "result_status",
    "result_occurred_at",
    "result_created_at",
    "result_source",
    "data",
    "digest",
)
# Part of every digest: bump it when row_values() changes, so the next sync rewrites
# every row once.
ROW_VERSION = "1"


def digest(data: dict[str, Any]) -> str:
    """A fingerprint of a task's JSON (and of ROW_VERSION): equal digests, equal rows."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{ROW_VERSION}\n{text}".encode()).hexdigest()


def row_values(
    task: api.Task, data: dict[str, Any] | None = None, fingerprint: str | None = None
) -> dict[str, Any]:
    """The values of `COLUMNS` for `task`, with the presenter's rules for operator and route.

    `data` and `fingerprint` are `task_json(task)` and its `digest` when the caller has them.
    """
    reason, result = task.reason, task.result
    data = task_json(task) if data is None else data
    return {
        "status": task.status,
        "channel": task.channel,
        "origin": task.origin,
        "type": task.type,
        "scheduled_at": task.scheduled_at,
        "occurred_at": task.occurred_at,
        "created_at": task.created_at,
        "lifecycle_status": task.lifecycle_status,
        "lifecycle_label": task.lifecycle_label,
        "commerce_external_id": task.commerce_external_id,
        "commerce_name": task.commerce_name,
        "reason_code": reason.code if reason else None,
        "reason_label": reason.label if reason else None,
        "operator_external_id": presenter.operator_id(task),
        "operator_name": presenter.operator_name(task),
        "operator_type": presenter.operator_type(task),
        "route_code": presenter.route_code(task),
        "route_name": presenter.route_name(task),
        "result_status": presenter.result_status(task),
        "result_occurred_at": result.occurred_at if result else None,
        "result_created_at": result.created_at if result else None,
        "result_source": result.source if result else None,
        "data": data,
        "digest": digest(data) if fingerprint is None else fingerprint,
    }


def task_from_record(record: TaskRecord) -> api.Task:
    """The typed `Task` a row was made from (raises `ValueError` if `data` is not one)."""
    try:
        return api.parse_task(record.data)
    except Exception as exc:  # the client's shape error is private to it
        raise ValueError(f"task {record.id} in the local copy cannot be read: {exc}") from None


# --- The API's JSON shape (the inverse of activities.client.parse_task) ---------------------
# Swap for api.task_to_dict() once the client offers one.


def task_json(task: api.Task) -> dict[str, Any]:
    """`task` as the API writes a record of `data`."""
    return {
        "id": task.id,
        "activityOrigin": task.origin,
        "type": task.type,
        "status": task.status,
        "channel": task.channel,
        "scheduledAt": _instant(task.scheduled_at),
        "occurredAt": _instant(task.occurred_at),
        "createdAt": _instant(task.created_at),
        "lifecycleStatus": task.lifecycle_status,
        "lifecycleStatusLabel": task.lifecycle_label,
        "lifecycleStatusDetail": task.lifecycle_detail,
        "canForceRetryDispatch": task.can_force_retry_dispatch,
        "commerceExternalId": task.commerce_external_id,
        "commerceName": task.commerce_name,
        "reason": _label(task.reason),
        "userStatus": _label(task.user_status),
        "commerceAssignment": _assignment(task.assignment),
        "activityDetails": _details(task.details),
        "activityResult": _result(task.result),
    }


def _instant(value: datetime | None) -> str | None:
    return api.format_instant(value) if value is not None else None


def _label(value: api.Label | None) -> dict | None:
    return None if value is None else {"code": value.code, "label": value.label}


def _assignment(value: api.Assignment | None) -> dict | None:
    if value is None:
        return None
    commerce = value.commerce
    return {
        "commerceExternalId": value.commerce_external_id,
        "assignmentReason": value.assignment_reason,
        "commerce": None
        if commerce is None
        else {"externalId": commerce.external_id, "name": commerce.name},
    }


def _details(value: api.TaskDetails | None) -> dict | None:
    if value is None:
        return None
    route, operator = value.route, value.operator
    return {
        "type": value.type,
        "assignedRouteCode": value.route_code,
        "assignedOperatorExternalId": value.operator_external_id,
        "assignedRoute": None if route is None else {"code": route.code, "name": route.name},
        "assignedOperator": None
        if operator is None
        else {"externalId": operator.external_id, "name": operator.name, "type": operator.type},
    }


def _result(value: api.Result | None) -> dict | None:
    if value is None:
        return None
    return {
        "id": value.id,
        "resultStatus": value.result_status,
        "source": value.source,
        "origin": value.origin,
        "channel": value.channel,
        "occurredAt": _instant(value.occurred_at),
        "createdAt": _instant(value.created_at),
        "resultDetails": dict(value.details) if value.details is not None else None,
    }
