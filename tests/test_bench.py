"""The benchmark (bench/run.py) and what it relies on; no timing is asserted here.

The quick run starts the sandbox and gunicorn for real, so the benchmark cannot rot
unnoticed; the figures it prints are for people (bench/README.md), not for tests.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import random
import subprocess
import sys
from dataclasses import fields, is_dataclass, replace
from pathlib import Path

import pytest

from activities.api import parse_page
from sandbox import DEMO_KEY, TASKS_PATH, generate_tasks, make_server
from sandbox.server import TaskIndex, _matches, parse_instant, parse_query

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 4, 15)

ROWS = (
    "List page, per_page 20, uncached",
    "List page, per_page 100, uncached",
    "Default view /tasks/, all its upstream calls, uncached",
    "Cached repeat, per_page 20",
    "Cached repeat, per_page 100",
    "Export of 1,000 tasks (CSV)",
    "Load: 8 clients",
    "Load: 32 clients",
    "Load: 64 clients",
)


def test_the_quick_benchmark_prints_its_table_with_every_row():
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "| Measurement | Result | Target | Met? |" in lines
    for row in ROWS:
        assert any(line.startswith(f"| {row}") for line in lines), (row, done.stdout)


def test_the_benchmark_refuses_unbounded_load():
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--load-seconds", "3600"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert done.returncode == 2
    assert "--load-seconds" in done.stderr


# --- The sandbox's speed-ups must not change its answers ------------------------------------


def _answer_the_slow_way(tasks: list[dict], query: dict) -> dict:
    """The sandbox's answer as it used to be made: parse, filter and sort every time."""
    rows = []
    for task in tasks:
        when = parse_instant(task.get("scheduledAt"))
        if _matches(task, when, query):
            rows.append((when is None, when.timestamp() if when else 0.0, task))
    rows.sort(key=lambda row: (row[0], row[1], str(row[2].get("id", ""))))
    start = (query["page"] - 1) * query["per_page"]
    return {
        "data": [row[2] for row in rows[start : start + query["per_page"]]],
        "meta": {
            "page": query["page"],
            "per_page": query["per_page"],
            "total": len(rows),
            "totalPages": -(-len(rows) // query["per_page"]),
        },
    }


def test_the_task_index_answers_exactly_as_filtering_and_sorting_each_time_did():
    tasks = generate_tasks(TODAY, count=1_500)
    index = TaskIndex(tasks)
    rng = random.Random(7)  # noqa: S311 (reproducible test data)
    choices = {
        "status": ["PENDING", "COMPLETED", "CANCELLED", "IN_PROGRESS"],
        "result_status": ["EFFECTIVE", "NOT_EFFECTIVE", "PENDING"],
        "channel": ["SALESMAN", "CALLCENTER", "WHATSAPP"],
        "external_commerce_id": ["COM-001", "COM-017"],
        "scheduled_from": [str(TODAY - dt.timedelta(days=4)), f"{TODAY}T12:00:00Z"],
        "scheduled_to": [str(TODAY + dt.timedelta(days=3))],
        "per_page": ["1", "20", "100"],
        "page": ["1", "2", "9", "400"],
    }
    for _ in range(300):
        params = {
            name: rng.choice(values) for name, values in choices.items() if rng.random() < 0.3
        }
        query = parse_query(params)

        expected = _answer_the_slow_way(tasks, query)
        assert json.loads(index.page_json(query)) == expected, params


def test_a_new_list_of_tasks_replaces_the_index():
    server = make_server(port=0, tasks=generate_tasks(TODAY, count=50)).start()
    try:
        server.tasks = generate_tasks(TODAY, count=7)
        body = _get(server, TASKS_PATH, {"x-api-key": DEMO_KEY})
    finally:
        server.stop()

    assert body["meta"]["total"] == 7


def test_sandbox_stats_count_api_requests_but_not_their_own():
    server = make_server(port=0, tasks=[]).start()
    try:
        for _ in range(3):
            _get(server, TASKS_PATH, {"x-api-key": DEMO_KEY})
        server.request_log.clear()  # as tests do; the count goes on
        first = _get(server, "/_sandbox/stats")
        second = _get(server, "/_sandbox/stats")
    finally:
        server.stop()

    assert first == {"requests": 3, "tasks": 0}
    assert second == first


def test_python_m_sandbox_serves_the_number_of_tasks_asked_for():
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--tasks", "2500"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/_sandbox/stats")
        stats = json.loads(connection.getresponse().read())
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert stats == {"requests": 0, "tasks": 2500}


def _get(server, path: str, headers: dict | None = None) -> dict:
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    assert response.status == 200, body
    return body


# --- The client's faster parsing must build complete objects -------------------------------


def _every_dataclass_in(value):
    if is_dataclass(value):
        yield value
        for field in fields(value):
            yield from _every_dataclass_in(getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _every_dataclass_in(item)


@pytest.mark.parametrize("count", [600, 3])
def test_parsed_objects_have_every_field_and_equal_ones_built_the_usual_way(count):
    tasks = generate_tasks(TODAY, count=count)
    body = {"data": tasks, "meta": {"page": 1, "per_page": 100, "total": 1, "totalPages": 1}}

    page = parse_page(json.loads(json.dumps(body)))

    seen = 0
    for obj in _every_dataclass_in(page):
        assert set(vars(obj)) == {field.name for field in fields(obj)}, type(obj)
        assert replace(obj) == obj  # replace() goes through the dataclass's __init__
        seen += 1
    assert seen > count
