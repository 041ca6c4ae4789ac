"""A task as a row of the local copy, and back: the one place that maps `api.Task` to columns.

`data` holds the task in the API's own JSON shape (camelCase, UTC instants), so that
`api.task_from_dict` rebuilds the same typed `Task` from a row: the list page's fallback
shows rows from the copy through the same templates as live ones.
"""

from __future__ import annotations

import hashlib
import json
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
        return api.task_from_dict(record.data)
    except api.ShapeError as exc:
        raise ValueError(f"task {record.id} in the local copy cannot be read: {exc}") from None


def task_json(task: api.Task) -> dict[str, Any]:
    """`task` as the API writes a record of `data` (camelCase, ISO 8601 instants)."""
    return api.task_to_dict(task)
