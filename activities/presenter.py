"""How a task reads: the one set of display rules the table, the exports and the team pages share.

Each function takes a `Task` and returns plain text or a code (None when the task does
not say), so the callers only decide markup. Where the document gives two places for the
same fact (an operator object and a bare operator id), the object wins.
"""

from __future__ import annotations

from activities.api import Task


def operator_id(task: Task) -> str | None:
    """The assigned operator's external id: `assignedOperator.externalId`, else the bare id."""
    details = task.details
    if details is None:
        return None
    operator = details.operator
    return (operator.external_id if operator else None) or details.operator_external_id


def operator_name(task: Task) -> str | None:
    operator = task.operator
    return operator.name if operator else None


def operator_type(task: Task) -> str | None:
    operator = task.operator
    return operator.type if operator else None


def route_code(task: Task) -> str | None:
    """The assigned route's code: `assignedRoute.code`, else `assignedRouteCode`."""
    details = task.details
    if details is None:
        return None
    route = details.route
    return (route.code if route else None) or details.route_code


def route_name(task: Task) -> str | None:
    route = task.route
    return route.name if route else None


def reason_text(task: Task) -> str | None:
    """The reason's label, else its code."""
    reason = task.reason
    return (reason.label or reason.code) if reason else None


def user_status_text(task: Task) -> str | None:
    status = task.user_status
    return (status.label or status.code) if status else None


def assignment_reason(task: Task) -> str | None:
    assignment = task.assignment
    return assignment.assignment_reason if assignment else None


def lifecycle_code(task: Task) -> str | None:
    """The lifecycle code, else the status: what the coloured badge stands for."""
    return task.lifecycle_status or task.status


def result_status(task: Task) -> str | None:
    result = task.result
    return result.result_status if result else None
