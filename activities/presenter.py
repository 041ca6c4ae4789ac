"""How a task reads: the one set of display rules the table, the exports and the team pages share.

Each function takes a `Task` and returns plain text or a code (None when the task does
not say), so the callers only decide markup. Where the document gives two places for the
same fact (an operator object and a bare operator id), the object wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.utils.translation import pgettext_lazy

from activities import l10n
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


# --- Words for codes ------------------------------------------------------------------

# The codes the document lists (status, result, lifecycle, origin) in our own words, so
# that a page speaks one language whatever language the API's labels are in. The words
# describe a task ("Completed"), hence the context: Spanish agrees them with "tarea".
CODE_WORDS = {
    "PENDING": pgettext_lazy("task status", "Pending"),
    "IN_PROGRESS": pgettext_lazy("task status", "In progress"),
    "COMPLETED": pgettext_lazy("task status", "Completed"),
    "CANCELLED": pgettext_lazy("task status", "Cancelled"),
    "SCHEDULED": pgettext_lazy("task status", "Scheduled"),
    "OVERDUE": pgettext_lazy("task status", "Overdue"),
    "DISPATCH_FAILED": pgettext_lazy("task status", "Dispatch failed"),
    "EFFECTIVE": pgettext_lazy("task status", "Effective"),
    "NOT_EFFECTIVE": pgettext_lazy("task status", "Not effective"),
    "ACTIVITY": pgettext_lazy("task origin", "Activity"),
    "STANDALONE": pgettext_lazy("task origin", "Standalone"),
}

LIFECYCLE_TONES = {
    "SCHEDULED": "info",
    "PENDING": "info",
    "IN_PROGRESS": "warning",
    "COMPLETED": "success",
    "CANCELLED": "muted",
    "OVERDUE": "danger",
    "DISPATCH_FAILED": "danger",
}
RESULT_TONES = {"EFFECTIVE": "success", "NOT_EFFECTIVE": "danger", "PENDING": "warning"}


@l10n.per_language
def code_words() -> dict[str, str]:
    """CODE_WORDS in the active language, built once per language."""
    return {code: str(words) for code, words in CODE_WORDS.items()}


def code_text(code: str | None, words: dict[str, str] | None = None) -> str | None:
    """'NOT_EFFECTIVE' → 'Not effective' ('No efectiva'); unknown codes made readable."""
    if not code:
        return None
    found = (words if words is not None else code_words()).get(code)
    return found if found is not None else code.replace("_", " ").capitalize()


def is_overdue(task: Task, now: datetime) -> bool:
    """A pending task whose scheduled time has passed."""
    return task.status == "PENDING" and task.scheduled_at is not None and task.scheduled_at < now


class Lifecycle(NamedTuple):
    """A row's state badge: the code it stands for, our word, its tone, the API's label."""

    code: str
    word: str
    tone: str
    tooltip: str | None


def lifecycle(task: Task, now: datetime, words: dict[str, str] | None = None) -> Lifecycle:
    """The one state badge of a row: our word, its tone, and the API's label as a tooltip.

    Known codes read in our words; an unknown code shows the API's label (else the code
    made readable). A pending task past its time reads "Overdue" whatever the API's
    lifecycle says, so that a row never carries two overdue markers or "Scheduled" and
    "Overdue" at once.
    """
    words = words if words is not None else code_words()
    code = "OVERDUE" if is_overdue(task, now) else lifecycle_code(task)
    # Ours for a known code; for an unknown one the API's label says more than the code.
    known = words.get(code or "")
    word = known or task.lifecycle_label or code_text(code, words) or "—"
    label, detail = task.lifecycle_label, task.lifecycle_detail
    tooltip = (f"{label} — {detail}" if detail else label) if label else (detail or None)
    return Lifecycle(code or "", word, LIFECYCLE_TONES.get(code or "", "neutral"), tooltip)
