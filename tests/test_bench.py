"""The benchmark (bench/run.py), its process helpers and the sandbox answers it relies on.

No timing is asserted here: the quick run starts the sandbox and gunicorn for real, so
the benchmark cannot rot unnoticed, and the figures it prints are for people
(bench/README.md), not for tests.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from activities import api as dashboard_api
from bench.procs import (
    Processes,
    children_of,
    log_tail,
    reset_peak_rss,
    status_kib,
    wait_with_peak,
)
from bench.run import Streamed, rows_written
from sandbox import TASKS_PATH, generate_tasks, make_server
from tests.helpers import call, wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 4, 15)

# Every row the quick run prints, whatever this tree has: a feature a tree lacks is a
# row that says "not available", never a crash.
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
    "Paging through one view",
    "Export of 1,000 tasks (Excel)",
    "8 concurrent exports of 1,000 tasks from 2 users",
    "Sync: full sync_tasks --once",
    "Sync: hot slices again, nothing changed",
    "/tasks/ beside a running syncer",
    "Team: /team/ for a day",
    "Team: /team/ for 30 days",
    "Team: operator page",
)


def run_script(*args: str, timeout: float) -> subprocess.CompletedProcess:
    """`python ARGS` in the repository, its output captured; `timeout` guards against a
    hang, it is not a speed limit."""
    return subprocess.run(  # noqa: S603 (our interpreter, our scripts, our temporary folders)
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_quick_benchmark_prints_its_table_with_every_row():
    done = run_script("bench/run.py", "--quick", timeout=300)

    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "| Measurement | Result | Target | Met? |" in lines
    for row in ROWS:
        assert any(line.startswith(f"| {row}") for line in lines), (row, done.stdout)
    # A row that broke while measuring says "failed:" (the run goes on): none may.
    assert not [line for line in lines if "| failed:" in line], done.stdout


def test_the_benchmark_refuses_unbounded_load():
    done = run_script("bench/run.py", "--load-seconds", "3600", timeout=30)

    assert done.returncode == 2
    assert "--load-seconds" in done.stderr


BESIDE_ROWS = (
    "List page, per_page 20, uncached: overhead over one API call",
    "List page, per_page 100, uncached: overhead over one API call",
    "Default view /tasks/, uncached: above one API call",
    "Default view /tasks/: upstream calls per view",
    "Cached repeat, per_page 20: median",
    "Cached repeat, per_page 100: median",
    "Load: 64 clients, uncached list pages",
    "Load: the workers' CPU per page at 64 clients",
)


def test_the_quick_side_by_side_run_measures_both_trees(tmp_path):
    # This tree beside a copy of itself: both columns must read as this tree does.
    other = tmp_path / "other"
    shutil.copytree(ROOT, other, ignore=shutil.ignore_patterns(".*", "__pycache__", "*.sqlite3"))
    done = run_script("bench/beside.py", str(other), "--quick", timeout=300)

    assert done.returncode == 0, done.stderr[-3000:]
    rows = {
        cells[0]: cells[1:]
        for line in done.stdout.splitlines()
        if line.startswith("| ")
        for cells in [[cell.strip() for cell in line.strip("|").split(" | ")]]
    }
    assert set(BESIDE_ROWS) <= set(rows), done.stdout
    # The upstream calls are counted per tree: one call a view on each, not both summed.
    assert rows["Default view /tasks/: upstream calls per view"][:2] == ["1.0 calls"] * 2
    # The rows carry its figures, and a quick run judges none of them.
    cached = rows["Cached repeat, per_page 20: median"]
    assert (cached[3], cached[4]) == ("×3.0 (12.1 ms → 4.0 ms)", "— (quick)")
    assert "Load errors: 0 on this tree, 0 on the other." in done.stdout
    # The cached repeats were cached: the filling asks on the connection timed after.
    assert "Cached repeats' API calls: 0 on this tree, 0 on the other." in done.stdout


def test_the_side_by_side_run_refuses_a_folder_that_is_not_a_dashboard(tmp_path):
    done = run_script("bench/beside.py", str(tmp_path), timeout=30)

    assert done.returncode == 2
    assert "no manage.py" in done.stderr


# --- What the rows count ---------------------------------------------------------------------


def test_an_export_counts_csv_rows_not_lines():
    body = b'id,comment\r\n1,"first line\nsecond line"\r\n2,plain\r\n'

    assert Streamed(200, 0.1, 0.2, body).csv_rows() == 2


def test_a_semicolon_export_counts_its_rows_too():
    body = "\ufeffid;channel\r\n1;SALESMAN\r\n2;CALLCENTER\r\n3;WHATSAPP\r\n".encode()

    assert Streamed(200, 0.1, 0.2, body).csv_rows() == 3


def test_rows_written_counts_changed_added_and_removed_rows_only():
    before = {"rows": {"a": "1", "b": "2", "c": "3"}, "hot": 3}
    after = {"rows": {"a": "1", "b": "changed", "d": "4"}, "hot": 3}

    assert rows_written(before, after) == 3  # b changed, c removed, d added
    assert rows_written(before, before) == 0


# --- The process helpers (bench/procs.py) ----------------------------------------------------


def _gone(pid: int) -> bool:
    """Not running: no such process, or a zombie nobody has reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"


PARENT_OF_ONE = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
time.sleep(120)
"""


def test_stopping_the_processes_stops_what_they_started_too():
    procs = Processes(grace=5)
    parent = procs.start([sys.executable, "-c", PARENT_OF_ONE])
    assert wait_until(lambda: children_of(parent.pid), timeout=30)
    child = children_of(parent.pid)[0]

    procs.stop_all()

    assert parent.returncode is not None
    assert wait_until(lambda: _gone(child), timeout=30)
    assert procs.running == []


def test_a_log_is_written_and_its_tail_read_back(tmp_path):
    log = tmp_path / "out.log"
    procs = Processes(grace=5)
    process = procs.start(
        [sys.executable, "-c", "print('\\n'.join(f'line {n}' for n in range(50)))"], log=log
    )
    process.wait(timeout=30)
    procs.stop_all()

    assert log_tail(log, 2) == "line 48\nline 49"
    assert log_tail(tmp_path / "missing.log") == "(no log)"


ALLOCATE_AND_WAIT = """
import sys
block = b"x" * (80 * 1024 * 1024)
del block
print("freed", flush=True)
sys.stdin.readline()
"""

# A child with a life of its own: its peak comes first, its end a second later.
ALLOCATE_AND_EXIT = """
import sys, time
block = b"x" * (80 * 1024 * 1024)
del block
time.sleep(1)
sys.exit(3)
"""


def test_a_peak_can_start_afresh_so_that_it_is_the_next_measurements_own():
    procs = Processes(grace=5)
    process = procs.start(
        [sys.executable, "-c", ALLOCATE_AND_WAIT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline() == "freed\n"
        peak_before = status_kib(process.pid, "VmHWM")
        reset_peak_rss([process.pid])
        peak_after = status_kib(process.pid, "VmHWM")
    finally:
        procs.stop_all()

    assert peak_before >= 80 * 1024
    assert peak_after < 60 * 1024  # the 80 MB block was freed before the reset
    assert status_kib(process.pid, "VmHWM") is None  # gone: no figure, no exception


def test_waiting_for_a_child_gives_its_exit_status_and_its_peak_memory():
    procs = Processes(grace=5)
    process = procs.start([sys.executable, "-c", ALLOCATE_AND_EXIT])
    try:
        status, peak = wait_with_peak(process, timeout=60)
    finally:
        procs.stop_all()

    assert status == 3
    assert 80 * 1024 <= peak < 200 * 1024


# --- The sandbox answers the benchmark relies on ---------------------------------------------


def _get(server, path: str = TASKS_PATH, **params) -> dict:
    reply = call(server, path, params=params or None)
    assert reply.status == 200, reply.raw
    return reply.body


def _every_page(server, params: dict) -> tuple[list[dict], int]:
    tasks, page = [], 1
    while True:
        body = _get(server, **params, page=page, per_page=100)
        tasks += body["data"]
        if page >= body["meta"]["totalPages"]:
            return tasks, body["meta"]["total"]
        page += 1


@pytest.fixture(scope="module")
def busy_sandbox():
    tasks = generate_tasks(TODAY, count=1_500)
    server = make_server(port=0, tasks=tasks, today=TODAY).start()
    yield server, tasks
    server.stop()


def test_paging_through_a_filtered_view_lists_each_matching_task_once(busy_sandbox):
    server, tasks = busy_sandbox
    pending = {task["id"] for task in tasks if task.get("status") == "PENDING"}

    listed, total = _every_page(server, {"status": "PENDING"})

    assert [task["id"] for task in listed if task["id"] in pending] == [
        task["id"] for task in listed
    ]
    assert len(listed) == total == len(pending)
    assert {task["id"] for task in listed} == pending


def test_a_scheduled_range_lists_its_tasks_in_scheduled_order(busy_sandbox):
    server, tasks = busy_sandbox
    start = dt.datetime(2026, 4, 14, 3, tzinfo=dt.UTC)  # a local day in Santiago
    end = start + dt.timedelta(days=1)
    params = {"scheduled_from": start.isoformat(), "scheduled_to": end.isoformat()}

    listed, total = _every_page(server, params)

    times = [dt.datetime.fromisoformat(task["scheduledAt"]) for task in listed]
    assert times == sorted(times)
    assert all(start <= when <= end for when in times)
    expected = [
        task
        for task in tasks
        if task.get("scheduledAt")
        and start <= dt.datetime.fromisoformat(task["scheduledAt"]) <= end
    ]
    assert len(listed) == total == len(expected) > 0


def test_a_new_list_of_tasks_replaces_the_index():
    server = make_server(port=0, tasks=generate_tasks(TODAY, count=50)).start()
    try:
        server.tasks = generate_tasks(TODAY, count=7)
        body = _get(server)
    finally:
        server.stop()

    assert body["meta"]["total"] == 7


def test_sandbox_stats_count_api_requests_but_not_their_own():
    server = make_server(port=0, tasks=[]).start()
    try:
        for _ in range(3):
            _get(server)
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


# --- A page of tasks, as fetched and as cached -----------------------------------------------


def test_a_cached_page_reads_exactly_as_the_fetched_one(api):
    """The cached rows time pages that come out of the cache: they must be the same page."""
    page = dashboard_api.list_tasks(dashboard_api.TaskQuery(per_page=100))
    served = _get(api, per_page=100)

    from_cache = pickle.loads(pickle.dumps(page))  # noqa: S301 (our own bytes)

    assert [task.id for task in page.tasks] == [task["id"] for task in served["data"]]
    assert from_cache == page
    assert [task.scheduled_at for task in from_cache.tasks] == [
        task.scheduled_at for task in page.tasks
    ]
    assert from_cache.meta.total == served["meta"]["total"]
