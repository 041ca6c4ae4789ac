"""The task service's records as typed, frozen structs, and `TaskQuery`, what may be asked.

The structs are decoded straight from the JSON body by msgspec (see parsing.py): each
field's name on the wire is the camelCase of its Python name, or is given with
`field(name=...)` where the dashboard's name differs. Unknown fields and values outside
the document's enumerations pass as they come.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from msgspec import field
from msgspec.structs import force_setattr

# The document's enumerations. Other values may appear in responses and are kept as
# they come; these lists only say what may be asked for.
STATUSES = ("PENDING", "IN_PROGRESS", "COMPLETED", "CANCELLED")
RESULT_STATUSES = ("EFFECTIVE", "NOT_EFFECTIVE", "PENDING")
CHANNELS = ("SALESMAN", "CALLCENTER")
MAX_PER_PAGE = 100

# An id or code: numbers are accepted and kept as text (an id sent as 42 still
# identifies a commerce); each struct's __post_init__ turns them into strings.
Ident = str | int | float | None
Count = Annotated[int, msgspec.Meta(ge=0)]


class _Record(msgspec.Struct, frozen=True, rename="camel"):
    """Base of the records: frozen, fields named in camelCase on the wire.

    Each record's `__post_init__` checks its own fields in line: msgspec calls it for
    every record of a page (seven a task), so a loop or a call in it costs more than
    the check (issue 14's profile: half of the decoding).
    """


# An id or code that needs no change: text, or null.
_AS_IS = frozenset({str, type(None)})


def _text(record: _Record, name: str, value: Ident) -> None:
    """Keep the number `value` of the id or code `name` as text (42 → "42")."""
    force_setattr(record, name, str(value))


def _utc(record: _Record, name: str, value: datetime) -> None:
    """The document's timestamps are UTC ("…Z"): a bare one is read the same way."""
    force_setattr(record, name, value.replace(tzinfo=UTC))


class Label(msgspec.Struct, frozen=True):
    """A code with its human-readable label (reason, user status)."""

    code: str | None = None
    label: str | None = None


class Commerce(_Record, frozen=True):
    external_id: Ident = None
    name: str | None = None

    def __post_init__(self) -> None:
        if self.external_id.__class__ not in _AS_IS:
            _text(self, "external_id", self.external_id)


class Assignment(_Record, frozen=True):
    commerce_external_id: Ident = None
    assignment_reason: str | None = None
    commerce: Commerce | None = None

    def __post_init__(self) -> None:
        if self.commerce_external_id.__class__ not in _AS_IS:
            _text(self, "commerce_external_id", self.commerce_external_id)


class Route(_Record, frozen=True):
    code: Ident = None
    name: str | None = None

    def __post_init__(self) -> None:
        if self.code.__class__ not in _AS_IS:
            _text(self, "code", self.code)


class Operator(_Record, frozen=True):
    external_id: Ident = None
    name: str | None = None
    type: str | None = None

    def __post_init__(self) -> None:
        if self.external_id.__class__ not in _AS_IS:
            _text(self, "external_id", self.external_id)


class TaskDetails(_Record, frozen=True):
    type: str | None = None
    route_code: Ident = field(default=None, name="assignedRouteCode")
    operator_external_id: Ident = field(default=None, name="assignedOperatorExternalId")
    route: Route | None = field(default=None, name="assignedRoute")
    operator: Operator | None = field(default=None, name="assignedOperator")

    def __post_init__(self) -> None:
        if self.route_code.__class__ not in _AS_IS:
            _text(self, "route_code", self.route_code)
        if self.operator_external_id.__class__ not in _AS_IS:
            _text(self, "operator_external_id", self.operator_external_id)


class Result(_Record, frozen=True):
    id: Ident = None
    result_status: str | None = None
    source: str | None = None
    origin: str | None = None
    channel: str | None = None
    occurred_at: datetime | None = None
    created_at: datetime | None = None
    details: dict[str, Any] | None = field(default=None, name="resultDetails")

    def __post_init__(self) -> None:
        if self.id.__class__ not in _AS_IS:
            _text(self, "id", self.id)
        if self.occurred_at is not None and self.occurred_at.tzinfo is None:
            _utc(self, "occurred_at", self.occurred_at)
        if self.created_at is not None and self.created_at.tzinfo is None:
            _utc(self, "created_at", self.created_at)


class Task(_Record, frozen=True):
    """One task. `id` is required and never empty; everything else may be null."""

    id: Ident
    origin: str | None = field(default=None, name="activityOrigin")
    type: str | None = None
    status: str | None = None
    channel: str | None = None
    scheduled_at: datetime | None = None
    occurred_at: datetime | None = None
    created_at: datetime | None = None
    lifecycle_status: str | None = None
    lifecycle_label: str | None = field(default=None, name="lifecycleStatusLabel")
    lifecycle_detail: str | None = field(default=None, name="lifecycleStatusDetail")
    can_force_retry_dispatch: bool | None = False
    commerce_external_id: Ident = None
    commerce_name: str | None = None
    reason: Label | None = None
    user_status: Label | None = None
    assignment: Assignment | None = field(default=None, name="commerceAssignment")
    details: TaskDetails | None = field(default=None, name="activityDetails")
    result: Result | None = field(default=None, name="activityResult")

    def __post_init__(self) -> None:
        if self.id.__class__ not in _AS_IS:
            _text(self, "id", self.id)
        if not self.id:
            # The message follows the record's path in the log: "data[3] has no id".
            raise ValueError(" has no id")
        if self.commerce_external_id.__class__ not in _AS_IS:
            _text(self, "commerce_external_id", self.commerce_external_id)
        if self.can_force_retry_dispatch is None:  # true or false, as the document says
            force_setattr(self, "can_force_retry_dispatch", False)
        if self.scheduled_at is not None and self.scheduled_at.tzinfo is None:
            _utc(self, "scheduled_at", self.scheduled_at)
        if self.occurred_at is not None and self.occurred_at.tzinfo is None:
            _utc(self, "occurred_at", self.occurred_at)
        if self.created_at is not None and self.created_at.tzinfo is None:
            _utc(self, "created_at", self.created_at)

    @property
    def route(self) -> Route | None:
        return self.details.route if self.details else None

    @property
    def operator(self) -> Operator | None:
        return self.details.operator if self.details else None


class PageMeta(msgspec.Struct, frozen=True):
    page: Count
    per_page: Count
    total: Count
    total_pages: Count = field(name="totalPages")


class TaskPage(msgspec.Struct, frozen=True):
    tasks: tuple[Task, ...] = field(name="data")
    meta: PageMeta


@dataclass(frozen=True)
class TaskQuery:
    """The API's query parameters, under the API's own names."""

    page: int = 1
    per_page: int = 20
    status: str = ""
    result_status: str = ""
    channel: str = ""
    external_commerce_id: str = ""
    external_operator_id: str = ""
    scheduled_from: datetime | None = None
    scheduled_to: datetime | None = None

    def to_params(self) -> dict[str, str]:
        """Return the query string parameters, empty ones left out, instants in UTC."""
        params: dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None or value == "":
                continue
            if isinstance(value, datetime):
                value = format_instant(value)
            params[item.name] = str(value)
        return params


def format_instant(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as the API writes its own timestamps."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
