"""The sandbox Integration API, over real HTTP, and the data it serves.

No Django here: the sandbox is plain standard library, and these tests talk to it the
way the dashboard's client will, with an ``x-api-key`` header and query parameters.
"""

from __future__ import annotations

import copy
import datetime as dt
import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sandbox import (
    DEMO_KEY,
    FORBIDDEN_KEY,
    TASKS_PATH,
    generate_tasks,
    make_server,
)
from sandbox.data import NULLABLE_TASK_KEYS

from .helpers import call

TODAY = dt.date(2026, 4, 15)  # a Wednesday
ROOT = Path(__file__).resolve().parents[1]
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
TASK_KEYS = {
    "id",
    "activityOrigin",
    "type",
    "status",
    "channel",
    "scheduledAt",
    "occurredAt",
    "createdAt",
    "lifecycleStatus",
    "lifecycleStatusLabel",
    "lifecycleStatusDetail",
    "canForceRetryDispatch",
    "commerceExternalId",
    "commerceName",
    "reason",
    "userStatus",
    "commerceAssignment",
    "activityDetails",
    "activityResult",
}
DETAILS_KEYS = {
    "type",
    "assignedRouteCode",
    "assignedOperatorExternalId",
    "assignedRoute",
    "assignedOperator",
}
RESULT_KEYS = {
    "id",
    "resultStatus",
    "source",
    "origin",
    "channel",
    "occurredAt",
    "createdAt",
    "resultDetails",
}


def fetch_all(server, **filters) -> list[dict]:
    """Every task matching the filters, walking the pages in order."""
    tasks, page = [], 1
    while True:
        reply = call(server, params={**filters, "page": page, "per_page": 100})
        assert reply.status == 200, reply.raw
        tasks += reply.body["data"]
        if page >= reply.body["meta"]["totalPages"]:
            return tasks
        page += 1


def ids(tasks) -> set[str]:
    return {task["id"] for task in tasks}


def task_at(task_id: str, scheduled_at: str | None, **changes) -> dict:
    """A realistic task with the given id and schedule, for hand-made data sets."""
    task = copy.deepcopy(generate_tasks(TODAY, count=1)[0])
    task.update(id=task_id, scheduledAt=scheduled_at, **changes)
    return task


@pytest.fixture(scope="module")
def server():
    server = make_server(port=0, today=TODAY).start()
    yield server
    server.stop()


@pytest.fixture
def start_server():
    """Start servers with make_server's arguments; all are stopped after the test."""
    started = []

    def start(**kwargs):
        started.append(make_server(port=0, **kwargs).start())
        return started[-1]

    yield start
    for each in started:
        each.stop()


@pytest.fixture(scope="module")
def tasks():
    return generate_tasks(TODAY)


# Authentication


def test_it_rejects_a_request_without_a_key(server):
    reply = call(server, key=None)

    assert reply.status == 401
    assert reply.body == {
        "statusCode": 401,
        "message": "API key missing or invalid",
        "error": "Unauthorized",
    }


@pytest.mark.parametrize("key", ["wrong-key", ""])
def test_it_rejects_an_unknown_or_empty_key(server, key):
    reply = call(server, key=key)

    assert reply.status == 401
    assert reply.body["message"] == "API key missing or invalid"


def test_it_refuses_a_key_without_the_view_activities_permission(server):
    reply = call(server, key=FORBIDDEN_KEY)

    assert reply.status == 403
    assert reply.body == {
        "statusCode": 403,
        "message": "The key does not have the VIEW_ACTIVITIES permission",
        "error": "Forbidden",
    }


def test_it_checks_the_key_before_the_query(server):
    assert call(server, params={"per_page": "101"}, key=None).status == 401
    assert call(server, params={"per_page": "101"}, key=FORBIDDEN_KEY).status == 403


# Validation

STATUS_CHOICES = "PENDING, IN_PROGRESS, COMPLETED, CANCELLED"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"per_page": "101"}, "per_page must not be greater than 100"),
        ({"per_page": "0"}, "per_page must not be less than 1"),
        ({"per_page": "ten"}, "per_page must be an integer number"),
        ({"page": "0"}, "page must not be less than 1"),
        ({"page": "-2"}, "page must not be less than 1"),
        ({"page": "1.5"}, "page must be an integer number"),
        ({"page": "abc"}, "page must be an integer number"),
        (
            {"status": "DONE"},
            f"status must be one of the following values: {STATUS_CHOICES}",
        ),
        (
            {"status": "pending"},
            f"status must be one of the following values: {STATUS_CHOICES}",
        ),
        (
            {"result_status": "MAYBE"},
            "result_status must be one of the following values: EFFECTIVE, NOT_EFFECTIVE, PENDING",
        ),
        (
            {"scheduled_from": "yesterday"},
            "scheduled_from must be a valid ISO 8601 date string",
        ),
        (
            {"scheduled_to": "2026-13-01"},
            "scheduled_to must be a valid ISO 8601 date string",
        ),
        (
            {"scheduled_from": "2026-04-16", "scheduled_to": "2026-04-15T23:00:00Z"},
            "scheduled_from must not be later than scheduled_to",
        ),
    ],
)
def test_it_answers_400_naming_the_bad_parameter(server, params, message):
    reply = call(server, params=params)

    assert reply.status == 400
    assert reply.body == {"statusCode": 400, "message": message, "error": "Bad Request"}


def test_it_accepts_the_largest_page_size(server):
    reply = call(server, params={"per_page": "100"})

    assert reply.status == 200
    assert len(reply.body["data"]) == 100


def test_it_treats_empty_parameters_as_absent(server):
    reply = call(server, params={"page": "", "per_page": "", "status": "", "scheduled_from": ""})

    assert reply.status == 200
    assert reply.body["meta"] == {
        "page": 1,
        "per_page": 20,
        "total": 600,
        "totalPages": 30,
    }


def test_it_ignores_unknown_parameters(server):
    reply = call(server, params={"sort": "name", "per_page": "5"})

    assert reply.status == 200
    assert reply.body["meta"]["total"] == 600


@pytest.mark.parametrize(
    "value",
    [
        "2026-04-15",
        "2026-04-15T09:00:00Z",
        "2026-04-15T09:00:00.000Z",
        "2026-04-15T09:00:00+01:00",
        "2026-04-15T09:00:00-04:00",
        "2026-04-15T09:00",
    ],
)
def test_it_accepts_iso_8601_dates_and_date_times(server, value):
    assert call(server, params={"scheduled_from": value}).status == 200
    assert call(server, params={"scheduled_to": value}).status == 200


# Filters


@pytest.mark.parametrize("status", ["PENDING", "IN_PROGRESS", "COMPLETED", "CANCELLED"])
def test_it_filters_by_status(server, status):
    found = fetch_all(server, status=status)

    assert found
    assert ids(found) == ids(t for t in server.tasks if t["status"] == status)


@pytest.mark.parametrize("result_status", ["EFFECTIVE", "NOT_EFFECTIVE", "PENDING"])
def test_it_filters_by_result_status_skipping_tasks_without_result(server, result_status):
    found = fetch_all(server, result_status=result_status)

    assert found
    assert all(t["activityResult"]["resultStatus"] == result_status for t in found)
    expected = [
        t
        for t in server.tasks
        if t["activityResult"] and t["activityResult"]["resultStatus"] == result_status
    ]
    assert ids(found) == ids(expected)


@pytest.mark.parametrize("channel", ["SALESMAN", "CALLCENTER", "WHATSAPP"])
def test_it_filters_by_channel_including_ones_the_document_does_not_list(server, channel):
    found = fetch_all(server, channel=channel)

    assert found
    assert ids(found) == ids(t for t in server.tasks if t["channel"] == channel)


def test_it_filters_by_external_commerce_id(server):
    found = fetch_all(server, external_commerce_id="COM-001")

    assert found
    assert {t["commerceExternalId"] for t in found} == {"COM-001"}
    assert len(found) == sum(t["commerceExternalId"] == "COM-001" for t in server.tasks)


def test_it_filters_by_external_operator_id(server):
    found = fetch_all(server, external_operator_id="OP-042")

    assert found
    assert {t["activityDetails"]["assignedOperatorExternalId"] for t in found} == {"OP-042"}
    expected = [
        t
        for t in server.tasks
        if (t["activityDetails"] or {}).get("assignedOperatorExternalId") == "OP-042"
    ]
    assert ids(found) == ids(expected)


def test_it_filters_by_a_scheduled_window(server):
    found = fetch_all(
        server,
        scheduled_from="2026-04-15T00:00:00.000Z",
        scheduled_to="2026-04-15T23:59:59.999Z",
    )

    assert len(found) >= 25
    expected = [t for t in server.tasks if (t["scheduledAt"] or "").startswith(TODAY.isoformat())]
    assert ids(found) == ids(expected)


def test_it_combines_filters_with_and(server):
    found = fetch_all(server, status="COMPLETED", channel="SALESMAN", result_status="EFFECTIVE")

    assert found
    expected = [
        t
        for t in server.tasks
        if t["status"] == "COMPLETED"
        and t["channel"] == "SALESMAN"
        and t["activityResult"]
        and t["activityResult"]["resultStatus"] == "EFFECTIVE"
    ]
    assert ids(found) == ids(expected)


def test_a_filter_matching_nothing_answers_an_empty_page(server):
    reply = call(server, params={"external_commerce_id": "COM-999"})

    assert reply.status == 200
    assert reply.body == {
        "data": [],
        "meta": {"page": 1, "per_page": 20, "total": 0, "totalPages": 0},
    }


def test_scheduled_bounds_are_inclusive_instants_whatever_the_offset(start_server):
    server = start_server(
        tasks=[
            task_at("a", "2026-04-15T06:45:00.000Z"),
            task_at("b", "2026-04-15T07:00:00.000Z"),
            task_at("c", "2026-04-15T09:00:00.000Z"),
            task_at("d", "2026-04-15T09:15:00.000Z"),
            task_at("e", None),
        ]
    )

    reply = call(
        server,
        params={
            "scheduled_from": "2026-04-15T09:00:00+02:00",  # 07:00Z
            "scheduled_to": "2026-04-15T05:00:00-04:00",  # 09:00Z
        },
    )

    assert [t["id"] for t in reply.body["data"]] == ["b", "c"]


def test_a_plain_date_bound_means_midnight_utc(start_server):
    server = start_server(
        tasks=[
            task_at("midnight", "2026-04-15T00:00:00.000Z"),
            task_at("morning", "2026-04-15T09:00:00.000Z"),
        ]
    )

    reply = call(server, params={"scheduled_to": "2026-04-15"})

    assert [t["id"] for t in reply.body["data"]] == ["midnight"]


# Pagination and ordering


def test_it_pages_with_defaults_of_page_1_and_20_per_page(server):
    reply = call(server)

    assert reply.status == 200
    assert len(reply.body["data"]) == 20
    assert reply.body["meta"] == {
        "page": 1,
        "per_page": 20,
        "total": 600,
        "totalPages": 30,
    }


def test_the_last_page_holds_the_remainder(server):
    reply = call(server, params={"per_page": "7", "page": "86"})

    assert reply.body["meta"] == {
        "page": 86,
        "per_page": 7,
        "total": 600,
        "totalPages": 86,
    }
    assert len(reply.body["data"]) == 600 - 85 * 7


def test_a_page_past_the_end_is_empty_but_keeps_the_true_totals(server):
    reply = call(server, params={"per_page": "50", "page": "13"})

    assert reply.status == 200
    assert reply.body == {
        "data": [],
        "meta": {"page": 13, "per_page": 50, "total": 600, "totalPages": 12},
    }


def test_pages_cover_every_task_once_in_a_stable_order(server):
    seen, page = [], 1
    while True:
        body = call(server, params={"per_page": 13, "page": page}).body
        seen += body["data"]
        if page == body["meta"]["totalPages"]:
            break
        page += 1

    assert len(seen) == len(ids(seen)) == 600
    assert ids(seen) == ids(server.tasks)
    scheduled = [t["scheduledAt"] for t in seen if t["scheduledAt"]]
    assert scheduled == sorted(scheduled)
    assert all(t["scheduledAt"] is None for t in seen[len(scheduled) :])
    assert seen == fetch_all(server)


def test_it_orders_by_schedule_then_id_with_unscheduled_last(start_server):
    server = start_server(
        tasks=[
            task_at("z-unscheduled", None),
            task_at("b", "2026-04-15T09:00:00.000Z"),
            task_at("a-unscheduled", None),
            task_at("a", "2026-04-15T10:00:00+01:00"),  # same instant as "b"
            task_at("c", "2026-04-14T18:00:00.000Z"),
        ]
    )

    found = call(server).body["data"]

    assert [t["id"] for t in found] == ["c", "a", "b", "a-unscheduled", "z-unscheduled"]


# On the wire


def test_it_answers_json_in_utf8_with_real_accents(server):
    reply = call(server, params={"external_commerce_id": "COM-002"})

    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert int(reply.headers["Content-Length"]) == len(reply.raw)
    assert "Farmacia San José".encode() in reply.raw
    assert b"\\u00e9" not in reply.raw


@pytest.mark.parametrize("path", ["/x", TASKS_PATH + "/", "/api/integration/activities"])
def test_other_paths_answer_404_json(server, path):
    reply = call(server, path=path)

    assert reply.status == 404
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.body == {
        "statusCode": 404,
        "message": f"Cannot GET {path}",
        "error": "Not Found",
    }


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_on_the_path_answer_405_json(server, method):
    reply = call(server, method=method)

    assert reply.status == 405
    assert reply.headers["Allow"] == "GET"
    assert reply.body["statusCode"] == 405
    assert reply.body["error"] == "Method Not Allowed"


def test_it_keeps_the_connection_alive_between_requests(server):
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        answers = []
        for key in (None, DEMO_KEY, DEMO_KEY):
            connection.request("GET", TASKS_PATH, headers={"x-api-key": key or ""})
            response = connection.getresponse()
            response.read()
            answers.append(response.status)
            if key is None:
                first_socket = connection.sock
            assert response.getheader("Connection") != "close"
        assert answers == [401, 200, 200]
        assert connection.sock is first_socket
    finally:
        connection.close()


def test_it_answers_concurrent_requests_in_parallel(start_server):
    # One after another, six answers would take 6 s: far from the bound a loaded CI meets.
    server = start_server(today=TODAY, latency=1.0)
    statuses = []

    def fetch():
        statuses.append(call(server, params={"per_page": 5}).status)

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 6
    assert time.monotonic() - started < 4


# Server knobs


def test_its_url_names_host_and_port_without_a_trailing_slash(server):
    host, port = server.server_address[:2]

    assert server.url == f"http://{host}:{port}"
    assert urlsplit(server.url).path == ""


def test_it_serves_the_tasks_it_is_given(start_server):
    given = [task_at("only-one", "2026-04-15T09:00:00.000Z")]
    server = start_server(tasks=given)

    reply = call(server)

    assert reply.body["data"] == given
    assert reply.body["meta"]["total"] == 1
    server.tasks = []
    assert call(server).body["meta"]["total"] == 0


def test_latency_delays_each_answer_and_can_change_while_running(start_server):
    server = start_server(tasks=[], latency=1.0)

    started = time.monotonic()
    assert call(server).status == 200
    assert time.monotonic() - started >= 1.0

    server.latency = 0.0
    started = time.monotonic()
    call(server)
    assert time.monotonic() - started < 0.9


def test_request_log_records_each_request_without_the_key(start_server):
    server = start_server(tasks=[])

    call(server, params={"status": "PENDING", "page": "2"})
    call(server, params={"status": "COMPLETED", "status_2": ""}, key=None)
    call(server, path="/nowhere", key=FORBIDDEN_KEY)

    assert server.request_log == [
        {
            "method": "GET",
            "path": TASKS_PATH,
            "params": {"status": "PENDING", "page": "2"},
            "has_key": True,
            "fault": None,
        },
        {
            "method": "GET",
            "path": TASKS_PATH,
            "params": {"status": "COMPLETED", "status_2": ""},
            "has_key": False,
            "fault": None,
        },
        {"method": "GET", "path": "/nowhere", "params": {}, "has_key": True, "fault": None},
    ]
    assert DEMO_KEY not in repr(server.request_log)
    assert FORBIDDEN_KEY not in repr(server.request_log)


def test_stop_closes_the_port():
    server = make_server(port=0, tasks=[]).start()
    host, port = server.server_address[:2]
    server.stop()

    with pytest.raises(ConnectionRefusedError):
        http.client.HTTPConnection(host, port, timeout=2).connect()


def test_python_m_sandbox_prints_its_url_and_stops_on_ctrl_c():
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--latency-ms", "10"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert DEMO_KEY in line
        url = re.search(r"http://[\d.]+:\d+", line).group(0)
        host, port = urlsplit(url).hostname, urlsplit(url).port
        connection = http.client.HTTPConnection(host, port, timeout=10)
        connection.request("GET", TASKS_PATH, headers={"x-api-key": DEMO_KEY})
        assert connection.getresponse().status == 200
        connection.close()

        process.send_signal(signal.SIGINT)
        # Generous: a loaded 2-core CI machine has made this take over 10 s. Both pipes
        # are read while waiting, so a full one cannot hold the process up.
        _, errors = process.communicate(timeout=60)
        assert process.returncode == 0
        assert "Traceback" not in errors
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


# The data set


def test_the_data_set_is_deterministic(tasks):
    assert generate_tasks(TODAY) == tasks
    assert generate_tasks(TODAY, seed=1) != tasks
    assert len(generate_tasks(TODAY, count=650)) == 650


def test_the_data_set_follows_today():
    later = generate_tasks(TODAY + dt.timedelta(days=7))

    assert min(t["scheduledAt"] for t in later if t["scheduledAt"]) >= "2026-04-01"


def test_the_data_set_does_not_depend_on_the_machine_time_zone(tasks):
    original = os.environ.get("TZ")
    try:
        for zone in ("America/Santiago", "Asia/Tokyo"):
            os.environ["TZ"] = zone
            time.tzset()
            assert generate_tasks(TODAY) == tasks
    finally:
        if original is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = original
        time.tzset()


def test_the_data_set_is_quick_to_build():
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        generate_tasks(TODAY)
        best = min(best, time.perf_counter() - started)

    # Typically about 20 ms; the bound only catches a blunder, not a slow CI machine.
    assert best < 1.0


def test_every_task_has_the_documented_shape(tasks):
    assert len(tasks) == 600
    assert len(ids(tasks)) == 600
    for task in tasks:
        assert task.keys() >= TASK_KEYS
        assert uuid.UUID(task["id"]).version == 4
        assert task["activityOrigin"] in ("ACTIVITY", "STANDALONE")
        assert isinstance(task["canForceRetryDispatch"], bool)
        assert task["commerceExternalId"].startswith("COM-")
        if task["activityDetails"]:
            assert task["activityDetails"].keys() >= DETAILS_KEYS
        if task["activityResult"]:
            assert task["activityResult"].keys() >= RESULT_KEYS
            assert uuid.UUID(task["activityResult"]["id"])
        for key in ("reason", "userStatus"):
            if task[key]:
                assert {"code", "label"} <= task[key].keys()


def test_every_timestamp_is_utc_with_milliseconds(tasks):
    stamps = []
    for task in tasks:
        stamps += [task["scheduledAt"], task["occurredAt"], task["createdAt"]]
        result = task["activityResult"]
        if result:
            stamps += [result["occurredAt"], result["createdAt"]]
            stamps.append((result["resultDetails"] or {}).get("nextContactAt"))
    stamps = [s for s in stamps if s is not None]

    assert len(stamps) > 1000
    assert all(TIMESTAMP.fullmatch(s) for s in stamps)


def test_tasks_are_scheduled_in_business_hours_around_today(tasks):
    scheduled = [t["scheduledAt"] for t in tasks if t["scheduledAt"]]
    first = (TODAY - dt.timedelta(days=21)).isoformat()
    last = (TODAY + dt.timedelta(days=14)).isoformat()

    assert min(scheduled)[:10] == first
    assert max(scheduled)[:10] == last
    for stamp in scheduled:
        assert 7 <= int(stamp[11:13]) <= 18
        assert stamp[14:] in ("00:00.000Z", "15:00.000Z", "30:00.000Z", "45:00.000Z")


@pytest.mark.parametrize(
    "today", [dt.date(2026, 4, 13), TODAY, dt.date(2026, 4, 19), dt.date(2027, 1, 1)]
)
def test_today_is_busy_and_every_day_of_this_week_has_tasks(today):
    days = [t["scheduledAt"][:10] for t in generate_tasks(today) if t["scheduledAt"]]
    monday = today - dt.timedelta(days=today.weekday())

    assert days.count(today.isoformat()) >= 25
    for offset in range(7):
        assert (monday + dt.timedelta(days=offset)).isoformat() in days


def test_every_nullable_field_is_null_in_a_few_tasks(tasks):
    for key in NULLABLE_TASK_KEYS:
        assert sum(t[key] is None for t in tasks) >= 3, key
    details = [t["activityDetails"] for t in tasks if t["activityDetails"]]
    for key in DETAILS_KEYS - {"type"}:
        assert sum(d[key] is None for d in details) >= 3, key
    results = [t["activityResult"] for t in tasks if t["activityResult"]]
    for key in ("channel", "resultDetails"):
        assert sum(r[key] is None for r in results) >= 3, key


def test_one_task_has_every_nullable_field_null_at_once(tasks):
    assert any(all(t[key] is None for key in NULLABLE_TASK_KEYS) for t in tasks)


def test_a_few_tasks_are_standalone_or_reached_by_whatsapp(tasks):
    assert sum(t["activityOrigin"] == "STANDALONE" for t in tasks) == 8
    assert sum(t["channel"] == "WHATSAPP" for t in tasks) == 5


def test_a_few_tasks_carry_fields_the_document_does_not_list(tasks):
    assert sum("priority" in t for t in tasks) >= 3
    assert any(t["activityDetails"] and t["activityDetails"].keys() - DETAILS_KEYS for t in tasks)
    assert any(t["activityResult"] and t["activityResult"].keys() - RESULT_KEYS for t in tasks)


def test_lifecycle_agrees_with_status(tasks):
    allowed = {
        "PENDING": {"SCHEDULED", "OVERDUE", "DISPATCH_FAILED", "ON_HOLD", "UNSCHEDULED"},
        "IN_PROGRESS": {"IN_PROGRESS"},
        "COMPLETED": {"COMPLETED"},
        "CANCELLED": {"CANCELLED"},
    }
    for task in tasks:
        if task["status"] and task["lifecycleStatus"]:
            assert task["lifecycleStatus"] in allowed[task["status"]]
    failed = [t for t in tasks if t["lifecycleStatus"] == "DISPATCH_FAILED"]
    assert len(failed) >= 3
    assert all(t["canForceRetryDispatch"] and t["lifecycleStatusDetail"] for t in failed)
    labels = {t["lifecycleStatus"]: t["lifecycleStatusLabel"] for t in tasks}
    assert labels["OVERDUE"] == "Atrasada"
    assert labels["ON_HOLD"] == "En espera"


def test_past_tasks_are_mostly_done_and_future_ones_mostly_pending(tasks):
    past = [t for t in tasks if t["scheduledAt"] and t["scheduledAt"] < "2026-04-15"]
    future = [t for t in tasks if t["scheduledAt"] and t["scheduledAt"] >= "2026-04-16"]
    done = sum(t["status"] in ("COMPLETED", "CANCELLED") for t in past)
    pending = sum(t["status"] == "PENDING" for t in future)

    assert done / len(past) > 0.75
    assert pending / len(future) > 0.8


def test_results_belong_to_handled_tasks(tasks):
    for task in tasks:
        if task["activityResult"] and task["status"]:
            assert task["status"] in ("COMPLETED", "IN_PROGRESS")
            assert task["occurredAt"] == task["activityResult"]["occurredAt"]
        if task["status"] == "COMPLETED":
            assert task["occurredAt"]


def test_the_channel_matches_the_operator_type(tasks):
    for task in tasks:
        operator = (task["activityDetails"] or {}).get("assignedOperator")
        if operator and task["channel"] in ("SALESMAN", "CALLCENTER"):
            assert task["channel"] == operator["type"]


def test_the_document_example_commerce_and_operator_are_present(tasks):
    commerce = next(t for t in tasks if t["commerceExternalId"] == "COM-001")
    assert commerce["commerceName"] == "Farmacia Central"
    operators = [
        t["activityDetails"]["assignedOperator"]
        for t in tasks
        if t["activityDetails"] and t["activityDetails"]["assignedOperator"]
    ]
    assert {"externalId": "OP-042", "name": "Carlos Pérez", "type": "SALESMAN"} in operators
