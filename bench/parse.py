"""Microbenchmark: decoding a 100-task page with msgspec (today), pydantic v2 and the old parser.

Usage: .venv/bin/python bench/parse.py [--rounds 2000]

Each parser gets the same JSON bytes (100 sandbox tasks) and must build typed records;
the figure is the median CPU time (process_time, steadier than wall time on a
busy machine) over rounds, in µs per page, JSON decoding included. The old
hand-written parser is read from git (the last commit that had activities/client.py);
pydantic is optional (requirements-dev.txt). Results are in bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

import django  # noqa: E402

django.setup()

from activities.api import parse_page  # noqa: E402
from sandbox import generate_tasks  # noqa: E402

OLD_CLIENT = "5c4ba0a:activities/client.py"  # the parser before activities/api/


def _body() -> bytes:
    tasks = generate_tasks(dt.date(2026, 4, 15), count=100)
    meta = {"page": 1, "per_page": 100, "total": 100, "totalPages": 1}
    return json.dumps({"data": tasks, "meta": meta}).encode()


def _old_parser():
    """The old `parse_page`, loaded from git; None when the history is not there."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        source = subprocess.run(  # noqa: S603 (git with fixed arguments)
            [git, "show", OLD_CLIENT], cwd=ROOT, capture_output=True, check=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("old_client")
    sys.modules["old_client"] = module  # dataclasses look their module up
    exec(compile(source, "old_client.py", "exec"), module.__dict__)  # noqa: S102 (our own code)
    return lambda body: module.parse_page(json.loads(body))


def _pydantic_parser():
    """The same records as pydantic v2 models; None when pydantic is not installed."""
    try:
        from pydantic import AliasGenerator, BaseModel, ConfigDict, Field
        from pydantic.alias_generators import to_camel
    except ImportError:
        return None

    ident = str | int | float | None
    config = ConfigDict(frozen=True, alias_generator=AliasGenerator(validation_alias=to_camel))

    class Label(BaseModel):
        model_config = config
        code: str | None = None
        label: str | None = None

    class Commerce(BaseModel):
        model_config = config
        external_id: ident = None
        name: str | None = None

    class Assignment(BaseModel):
        model_config = config
        commerce_external_id: ident = None
        assignment_reason: str | None = None
        commerce: Commerce | None = None

    class Route(BaseModel):
        model_config = config
        code: ident = None
        name: str | None = None

    class Operator(BaseModel):
        model_config = config
        external_id: ident = None
        name: str | None = None
        type: str | None = None

    class Details(BaseModel):
        model_config = config
        type: str | None = None
        route_code: ident = Field(None, validation_alias="assignedRouteCode")
        operator_external_id: ident = Field(None, validation_alias="assignedOperatorExternalId")
        route: Route | None = Field(None, validation_alias="assignedRoute")
        operator: Operator | None = Field(None, validation_alias="assignedOperator")

    class Result(BaseModel):
        model_config = config
        id: ident = None
        result_status: str | None = None
        source: str | None = None
        origin: str | None = None
        channel: str | None = None
        occurred_at: dt.datetime | None = None
        created_at: dt.datetime | None = None
        details: dict[str, Any] | None = Field(None, validation_alias="resultDetails")

    class Task(BaseModel):
        model_config = config
        id: ident
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
        commerce_external_id: ident = None
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

    return Page.model_validate_json


def _median_us(parse, body: bytes, rounds: int) -> float:
    parse(body)  # warm up
    times = []
    for _ in range(rounds):
        started = time.process_time()
        parse(body)
        times.append(time.process_time() - started)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds
    body = _body()
    candidates = {
        "msgspec (activities.api)": parse_page,
        "pydantic v2": _pydantic_parser(),
        "old hand-written parser": _old_parser(),
    }
    print(f"100-task page, {len(body):,} bytes of JSON; median of {rounds} rounds")
    for name, parse in candidates.items():
        if parse is None:
            print(f"{name:26} skipped (not available)")
        else:
            print(f"{name:26} {_median_us(parse, body, rounds):8.0f} µs per page")


if __name__ == "__main__":
    main()
