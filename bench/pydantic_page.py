"""The sandbox's task page as pydantic v2 models: bench/parse.py's comparison parser.

The same records as activities.api's msgspec structs; importing it needs pydantic
(requirements-dev.txt).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import AliasGenerator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Ident = str | int | float | None  # an id or code, which may come as a number
CONFIG = ConfigDict(frozen=True, alias_generator=AliasGenerator(validation_alias=to_camel))


class Label(BaseModel):
    model_config = CONFIG
    code: str | None = None
    label: str | None = None


class Commerce(BaseModel):
    model_config = CONFIG
    external_id: Ident = None
    name: str | None = None


class Assignment(BaseModel):
    model_config = CONFIG
    commerce_external_id: Ident = None
    assignment_reason: str | None = None
    commerce: Commerce | None = None


class Route(BaseModel):
    model_config = CONFIG
    code: Ident = None
    name: str | None = None


class Operator(BaseModel):
    model_config = CONFIG
    external_id: Ident = None
    name: str | None = None
    type: str | None = None


class Details(BaseModel):
    model_config = CONFIG
    type: str | None = None
    route_code: Ident = Field(None, validation_alias="assignedRouteCode")
    operator_external_id: Ident = Field(None, validation_alias="assignedOperatorExternalId")
    route: Route | None = Field(None, validation_alias="assignedRoute")
    operator: Operator | None = Field(None, validation_alias="assignedOperator")


class Result(BaseModel):
    model_config = CONFIG
    id: Ident = None
    result_status: str | None = None
    source: str | None = None
    origin: str | None = None
    channel: str | None = None
    occurred_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    details: dict[str, Any] | None = Field(None, validation_alias="resultDetails")


class Task(BaseModel):
    model_config = CONFIG
    id: Ident
    origin: str | None = Field(None, validation_alias="activityOrigin")
    type: str | None = None
    status: str | None = None
    channel: str | None = None
    scheduled_at: dt.datetime | None = None
    occurred_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    lifecycle_status: str | None = None
    lifecycle_label: str | None = Field(None, validation_alias="lifecycleStatusLabel")
    lifecycle_detail: str | None = Field(None, validation_alias="lifecycleStatusDetail")
    can_force_retry_dispatch: bool | None = False
    commerce_external_id: Ident = None
    commerce_name: str | None = None
    reason: Label | None = None
    user_status: Label | None = None
    assignment: Assignment | None = Field(None, validation_alias="commerceAssignment")
    details: Details | None = Field(None, validation_alias="activityDetails")
    result: Result | None = Field(None, validation_alias="activityResult")


class Meta(BaseModel):
    model_config = ConfigDict(frozen=True)
    page: int = Field(ge=0)
    per_page: int = Field(ge=0)
    total: int = Field(ge=0)
    total_pages: int = Field(ge=0, validation_alias="totalPages")


class Page(BaseModel):
    model_config = ConfigDict(frozen=True)
    data: tuple[Task, ...]
    meta: Meta
