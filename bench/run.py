"""Benchmark the dashboard against the Integration API itself, on this machine.

    .venv/bin/python bench/run.py           # the full run, about three minutes
    .venv/bin/python bench/run.py --quick   # a few seconds: proves it still works

It starts the sandbox API with a fixed added latency and the dashboard under gunicorn
(gunicorn.conf.py, as in production), signs in once, measures, stops everything, and
prints a Markdown table with each figure beside its target. bench/README.md says what
each row means. Every request goes to 127.0.0.1 only, and every loop is bounded in
count and time.

Exit status: 0 when everything was measured, whether or not the targets were met; 1
when something broke (a server did not start, a page did not answer 200, an export
came back short).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import http.client
import http.cookies
import importlib.util
import io
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/run.py`: bench/ is on the path, not ROOT
    sys.path.insert(0, str(ROOT))

from bench.procs import (  # noqa: E402
    HOST,  # never anything else: the load stays on this machine
    Processes,
    children_of,
    cpu_seconds,
    free_port,
    log_tail,
    reset_peak_rss,
    status_kib,
)

TASKS_PATH = "/api/integration/activities/tasks"
API_KEY = "sandbox-demo-key"
USERNAME = "bench"
STARTUP_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0


class BenchError(Exception):
    """The benchmark could not measure what it set out to; the message says why."""


# --- Settings of one run -----------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    latency_ms: float
    tasks: int
    samples: int  # timed requests per latency row
    load_seconds: float
    clients: tuple[int, ...]
    workers: int | None  # None: gunicorn.conf.py decides

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Plan:
        quick = args.quick
        return cls(
            latency_ms=args.latency_ms,
            tasks=args.tasks or (1_000 if quick else 10_000),
            samples=args.samples or (5 if quick else 100),
            load_seconds=args.load_seconds or (1.0 if quick else 20.0),
            clients=tuple(args.clients) if args.clients else (8, 32, 64),
            workers=args.workers or (2 if quick else None),
        )


# --- Processes -----------------------------------------------------------------------------


def start_sandbox(procs: Processes, plan: Plan, logs: Path) -> tuple[int, subprocess.Popen]:
    """Start `python -m sandbox` on a free port; return the port it printed."""
    command = [sys.executable, "-m", "sandbox", "--host", HOST, "--port", "0"]
    command += ["--latency-ms", f"{plan.latency_ms:g}", "--tasks", str(plan.tasks)]
    log = logs / "sandbox.log"
    process = procs.start(
        command, stdout=subprocess.PIPE, stderr=log.open("w"), text=True, bufsize=1
    )
    line = _first_line(process, STARTUP_TIMEOUT)
    found = re.search(rf"http://{re.escape(HOST)}:(\d+)", line)
    if not found:
        raise BenchError(f"the sandbox did not start: {line!r}\n{log_tail(log)}")
    return int(found.group(1)), process


def _first_line(process: subprocess.Popen, timeout: float) -> str:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else ""


def django_env(workdir: Path, sandbox_port: int, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ACTIVITIES_", "DJANGO_", "GUNICORN_"))
        # The defaults are what is measured: one machine, its memory cache, no Redis.
        and key not in ("DATABASE_URL", "CACHE_URL", "REDIS_URL", "WEB_CONCURRENCY", "PORT")
        and key not in ("LOG_LEVEL", "TIME_ZONE")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        DJANGO_STATIC_ROOT=str(workdir / "static"),
        ACTIVITIES_API_BASE_URL=f"http://{HOST}:{sandbox_port}",
        ACTIVITIES_API_KEY=API_KEY,
        DJANGO_DEBUG="false",
        # Production settings, except plain HTTP: everything here is on loopback.
        DJANGO_HTTPS="false",
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


# A supervisor, as the dashboard's users are: in the group that may see tasks.
CREATE_USER = f"""
import os
from django.contrib.auth.models import Group, User
from activities.access import GROUP
user = User.objects.create_user({USERNAME!r}, password=os.environ["BENCH_PASSWORD"])
user.groups.add(Group.objects.get(name=GROUP))
"""


def prepare_database(env: dict[str, str], password: str, logs: Path) -> None:
    """Collect the static files, create the tables and the bench user (all temporary)."""
    log = logs / "manage.log"
    with log.open("w") as out:
        steps = [
            ["manage.py", "collectstatic", "--noinput"],
            ["manage.py", "migrate", "--noinput"],
            ["manage.py", "shell", "-c", CREATE_USER],
        ]
        for step in steps:
            done = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
                [sys.executable, *step],
                cwd=ROOT,
                env={**env, "BENCH_PASSWORD": password},
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
            if done.returncode != 0:
                raise BenchError(f"{' '.join(step[:2])} failed:\n{log_tail(log)}")


@dataclass
class Dashboard:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def workers(self) -> list[int]:
        return children_of(self.process.pid)


def start_dashboard(
    procs: Processes, name: str, env: dict[str, str], plan: Plan, logs: Path
) -> Dashboard:
    """Start gunicorn with gunicorn.conf.py on a free loopback port (not yet ready)."""
    if importlib.util.find_spec("gunicorn") is None:
        raise BenchError("gunicorn is not installed: pip install -r requirements.txt")
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")]
    command += ["--bind", f"{HOST}:{port}"]
    if plan.workers:
        command += ["--workers", str(plan.workers)]
    log = logs / f"gunicorn-{name}.log"
    process = procs.start(command, env=env, log=log)
    return Dashboard(name, port, process, log)


def wait_until_ready(dashboard: Dashboard, expected_workers: int) -> None:
    """Wait for /healthz to answer and for every worker to have booted."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if dashboard.process.poll() is not None:
            raise BenchError(f"gunicorn ({dashboard.name}) exited:\n{log_tail(dashboard.log)}")
        booted = dashboard.log.read_text(errors="replace").count("Booting worker")
        if booted >= expected_workers:
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection(HOST, dashboard.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
        time.sleep(0.1)
    raise BenchError(f"gunicorn ({dashboard.name}) did not get ready:\n{log_tail(dashboard.log)}")


def configured_workers(plan: Plan) -> tuple[int, int]:
    """The workers and threads gunicorn.conf.py gives (or --workers overrides)."""
    namespace: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102 (our own file)
    return plan.workers or namespace["workers"], namespace["threads"]


# --- HTTP -----------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float
    headers: http.client.HTTPMessage


class Client:
    """One keep-alive connection to 127.0.0.1:`port`, reopened when the server closes it."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.headers = headers or {}
        self._connection: http.client.HTTPConnection | None = None

    def _open(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict | None = None
    ) -> Reply:
        """Send one request and read the whole answer; time it from send to last byte."""
        all_headers = {**self.headers, **(headers or {})}
        for attempt in (1, 2):
            connection = self._open()
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=all_headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection: reopen once.
                self.close()
                if attempt == 2:
                    raise
                continue
            elapsed = time.perf_counter() - started
            if response.will_close:
                self.close()
            return Reply(response.status, data, elapsed, response.headers)
        raise AssertionError("unreachable")

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def stream(self, path: str) -> Streamed:
        """GET `path` reading it as it streams, keeping the body for a look afterwards."""
        connection = self._open()
        started = time.perf_counter()
        connection.request("GET", path, headers=self.headers)
        response = connection.getresponse()
        first_byte = None
        chunks = []
        while chunk := response.read1(1 << 16):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            chunks.append(chunk)
        total = time.perf_counter() - started
        self.close()
        return Streamed(response.status, first_byte or total, total, b"".join(chunks))


@dataclass
class Streamed:
    status: int
    first_byte: float
    seconds: float
    body: bytes

    def csv_rows(self) -> int:
        """Data rows of a CSV body (a quoted cell may hold line breaks), less the header."""
        text = self.body.decode("utf-8-sig", errors="replace")
        sample = text[:4096]
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        return max(0, sum(1 for _ in csv.reader(io.StringIO(text), delimiter=delimiter)) - 1)


def sign_in(port: int, password: str) -> str:
    """Sign in through the login form; return the Cookie header that keeps the session."""
    client = Client(port)
    page = client.get("/accounts/login/")
    cookies = http.cookies.SimpleCookie()
    for value in page.headers.get_all("Set-Cookie") or []:
        cookies.load(value)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if page.status != 200 or token is None or "csrftoken" not in cookies:
        raise BenchError(f"the login page did not offer a form (HTTP {page.status})")
    form = urlencode(
        {"username": USERNAME, "password": password, "csrfmiddlewaretoken": token.group(1)}
    )
    reply = client.request(
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken'].value}",
        },
    )
    for value in reply.headers.get_all("Set-Cookie") or []:
        cookies.load(value)
    client.close()
    if reply.status != 302 or "sessionid" not in cookies:
        raise BenchError(f"signing in failed (HTTP {reply.status})")
    return "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())


class Sandbox:
    """The sandbox API: direct calls, and its count of the requests it has had."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.client = Client(port, {"x-api-key": API_KEY, "Accept": "application/json"})
        self._stats = Client(port)

    def requests_so_far(self) -> int:
        reply = self._stats.get("/_sandbox/stats")
        if reply.status != 200:
            raise BenchError(f"/_sandbox/stats answered HTTP {reply.status}")
        return json.loads(reply.body)["requests"]

    def call(self, params: dict[str, int | str]) -> Reply:
        reply = self.client.get(f"{TASKS_PATH}?{urlencode(params)}")
        if reply.status != 200:
            raise BenchError(f"the API answered HTTP {reply.status} to {params}")
        return reply


# --- Measurements ---------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


@dataclass
class Row:
    measurement: str
    result: str
    target: str = "—"
    met: bool | None = None  # None: no target

    def cells(self) -> list[str]:
        met = "—" if self.met is None else ("yes" if self.met else "**no**")
        return [self.measurement, self.result, self.target, met]


@dataclass
class Timed:
    """Timings of one kind of request, and the upstream calls they made."""

    seconds: list[float] = field(default_factory=list)
    api_seconds: list[float] = field(default_factory=list)
    upstream_calls: float = 0.0


def page_ok(reply: Reply, what: str) -> None:
    if reply.status != 200:
        raise BenchError(f"{what} answered HTTP {reply.status}, not 200")


def time_list_page(dash: Client, api: Sandbox, per_page: int, plan: Plan) -> Timed:
    """Uncached list pages at `per_page`, each beside the same API call made directly.

    The two alternate, so that both see the same machine; each sample is another page
    of the list, as paging through it would be.
    """
    pages = max(1, plan.tasks // per_page)
    timed = Timed()
    before = api.requests_so_far()
    for i in range(plan.samples):
        page = 1 + i % pages
        reply = dash.get(f"/tasks/?{urlencode({'page': page, 'per_page': per_page})}")
        page_ok(reply, f"/tasks/ page {page} per_page {per_page}")
        timed.seconds.append(reply.seconds)
        timed.api_seconds.append(api.call({"page": page, "per_page": per_page}).seconds)
    calls = api.requests_so_far() - before - plan.samples  # less the direct calls
    timed.upstream_calls = calls / plan.samples
    return timed


def time_default_view(dash: Client, api: Sandbox, plan: Plan) -> Timed:
    """The task list as a supervisor first opens it, /tasks/, whatever it calls upstream."""
    timed = Timed()
    before = api.requests_so_far()
    for _ in range(plan.samples):
        reply = dash.get("/tasks/")
        page_ok(reply, "/tasks/")
        timed.seconds.append(reply.seconds)
    timed.upstream_calls = (api.requests_so_far() - before) / plan.samples
    for _ in range(plan.samples):
        timed.api_seconds.append(api.call({"page": 1, "per_page": 20}).seconds)
    return timed


def time_cached_view(dash: Client, api: Sandbox, path: str, plan: Plan) -> Timed:
    """The same view again and again on one connection (so one worker and its cache)."""
    for _ in range(2):  # the first fills the cache
        page_ok(dash.get(path), path)
    timed = Timed()
    before = api.requests_so_far()
    for _ in range(max(plan.samples, 20)):
        reply = dash.get(path)
        page_ok(reply, path)
        timed.seconds.append(reply.seconds)
    timed.upstream_calls = api.requests_so_far() - before
    return timed


@dataclass
class Export:
    seconds: float
    first_byte: float
    rows: int
    size: int
    peak_rss_kib: int


def time_export(dashboard: Dashboard, cookie: str, plan: Plan) -> Export:
    client = Client(dashboard.port, {"Cookie": cookie})
    # The workers' peak memory from now on: the export's, not an earlier page's.
    reset_peak_rss(dashboard.workers)
    reply = client.stream("/tasks/export.csv")
    if reply.status != 200:
        raise BenchError(f"/tasks/export.csv answered HTTP {reply.status}")
    rows = reply.csv_rows()
    if rows != plan.tasks:
        raise BenchError(f"the export held {rows} rows, not {plan.tasks}")
    return Export(reply.seconds, reply.first_byte, rows, len(reply.body), peak_kib(dashboard))


def peak_kib(dashboard: Dashboard) -> int:
    """The largest VmHWM (peak resident memory) among the dashboard's workers."""
    return max((status_kib(pid, "VmHWM") or 0 for pid in dashboard.workers), default=0)


@dataclass
class Load:
    clients: int
    seconds: float
    requests: int
    errors: int
    latencies: list[float]
    upstream_calls: int
    cpu: dict[str, float]  # share of one core used, by component
    error_kinds: dict[str, int]


def run_load(
    clients: int,
    seconds: float,
    dashboard: Dashboard,
    cookie: str,
    api: Sandbox,
    sandbox_pid: int,
    plan: Plan,
) -> Load:
    """`clients` threads, each with its own keep-alive connection, for `seconds`.

    Each client pages through the list (/tasks/?page=N, 20 per page), each starting at
    another page. Errors are answers other than 200 and failed requests.
    """
    pages = max(1, plan.tasks // 20)
    deadline_box: list[float] = []
    lock = threading.Lock()
    latencies: list[float] = []
    error_kinds: dict[str, int] = {}
    start = threading.Barrier(clients + 1)
    max_requests = 100_000  # per client: a bound besides the clock

    def client_loop(number: int) -> None:
        client = Client(dashboard.port, {"Cookie": cookie})
        mine: list[float] = []
        errors: dict[str, int] = {}
        start.wait()
        deadline = deadline_box[0]
        page = number * pages // clients
        for _ in range(max_requests):
            if time.monotonic() >= deadline:
                break
            page = page % pages + 1
            try:
                reply = client.get(f"/tasks/?page={page}")
                kind = None if reply.status == 200 else f"HTTP {reply.status}"
            except (OSError, http.client.HTTPException) as exc:
                client.close()
                kind = type(exc).__name__
            if kind is None:
                mine.append(reply.seconds)
            else:
                errors[kind] = errors.get(kind, 0) + 1
        client.close()
        with lock:
            latencies.extend(mine)
            for kind, count in errors.items():
                error_kinds[kind] = error_kinds.get(kind, 0) + count

    threads = [
        threading.Thread(target=client_loop, args=(n,), name=f"load-{n}") for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    workers = dashboard.workers
    calls_before = api.requests_so_far()
    cpu_before = _cpu_by_component(workers, sandbox_pid)
    began = time.monotonic()
    deadline_box.append(began + seconds)
    start.wait()
    for thread in threads:
        thread.join(seconds + REQUEST_TIMEOUT + 5)
    elapsed = time.monotonic() - began
    cpu_after = _cpu_by_component(workers, sandbox_pid)
    calls = api.requests_so_far() - calls_before
    errors = sum(error_kinds.values())
    return Load(
        clients=clients,
        seconds=elapsed,
        requests=len(latencies) + errors,
        errors=errors,
        latencies=latencies,
        upstream_calls=calls,
        cpu={name: (cpu_after[name] - cpu_before[name]) / elapsed for name in cpu_after},
        error_kinds=error_kinds,
    )


def _cpu_by_component(workers: list[int], sandbox_pid: int) -> dict[str, float]:
    return {
        "dashboard": cpu_seconds(workers),
        "sandbox": cpu_seconds([sandbox_pid]),
        "load generator": time.process_time(),
    }


def warm_up(dashboard: Dashboard, cookie: str, paths: list[str], clients: int) -> None:
    """Let every worker import, connect and compile its templates before timing."""

    def visit() -> None:
        client = Client(dashboard.port, {"Cookie": cookie})
        for path in paths:
            page_ok(client.get(path), path)
        client.close()

    failures: list[BaseException] = []

    def guarded() -> None:
        try:
            visit()
        except BaseException as exc:  # reported below, in the main thread
            failures.append(exc)

    threads = [threading.Thread(target=guarded) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT * len(paths))
    if failures:
        raise failures[0]


# --- The report ----------------------------------------------------------------------------


def latency_row(label: str, timed: Timed, *, target_ms: float | None) -> Row:
    page, api = median(timed.seconds), median(timed.api_seconds)
    overhead, ratio = page - api, page / api
    result = (
        f"median {ms(page)}, p95 {ms(p95(timed.seconds))}; API direct median {ms(api)}; "
        f"overhead {overhead * 1000:+.1f} ms, ratio {ratio:.2f}; "
        f"{timed.upstream_calls:g} upstream calls per view"
    )
    if target_ms is None:
        return Row(label, result)
    met = overhead * 1000 < target_ms and ratio < 1.2
    return Row(label, result, f"overhead < {target_ms:g} ms, ratio < 1.2", met)


def report(
    plan: Plan,
    workers: int,
    threads: int,
    list_rows: dict[int, Timed],
    default_view: Timed,
    cached: dict[int, Timed],
    export: Export,
    loads: list[Load],
    load_before: float,
) -> str:
    rows = [
        latency_row(f"List page, per_page {per_page}, uncached", timed, target_ms=10)
        for per_page, timed in list_rows.items()
    ]
    page, one_call = median(default_view.seconds), median(default_view.api_seconds)
    rows.append(
        Row(
            "Default view /tasks/, all its upstream calls, uncached",
            f"median {ms(page)}, p95 {ms(p95(default_view.seconds))} with "
            f"{default_view.upstream_calls:g} upstream calls per view; one API call alone "
            f"median {ms(one_call)}",
            "under one call + 10 ms (calls overlap)",
            page - one_call < 0.010,
        )
    )
    for per_page, timed in cached.items():
        rows.append(
            Row(
                f"Cached repeat, per_page {per_page}",
                f"median {ms(median(timed.seconds))}, p95 {ms(p95(timed.seconds))}; "
                f"{timed.upstream_calls:g} API calls in {len(timed.seconds)} views",
                "median < 5 ms, 0 API calls",
                median(timed.seconds) < 0.005 and timed.upstream_calls == 0,
            )
        )
    rss_mb = export.peak_rss_kib / 1024
    rows.append(
        Row(
            f"Export of {export.rows:,} tasks (CSV)",
            f"total {export.seconds:.2f} s, first byte {ms(export.first_byte)}, "
            f"{export.size / 1e6:.1f} MB; worker peak RSS {rss_mb:.0f} MB",
            "under 2 s, peak RSS < 100 MB" if plan.tasks >= 10_000 else "(full run only)",
            export.seconds < 2 and rss_mb < 100 if plan.tasks >= 10_000 else None,
        )
    )
    for load in loads:
        kinds = ", ".join(f"{kind} ×{count}" for kind, count in sorted(load.error_kinds.items()))
        timing = (
            f"median {ms(median(load.latencies))}, p95 {ms(p95(load.latencies))}"
            if load.latencies
            else "no successful request"
        )
        cpu = ", ".join(f"{name} {share:.0%}" for name, share in load.cpu.items())
        rows.append(
            Row(
                f"Load: {load.clients} clients, {load.seconds:.0f} s, uncached list pages",
                f"{load.requests / load.seconds:.0f} pages/s, {load.errors} errors"
                f"{f' ({kinds})' if kinds else ''}; {timing}; "
                f"{load.upstream_calls / max(1, load.requests):.1f} upstream calls per page; "
                f"CPU (of one core): {cpu}",
                "0 errors",
                load.errors == 0,
            )
        )
    header = ["Measurement", "Result", "Target", "Met?"]
    lines = [
        f"Sandbox: {plan.tasks:,} tasks, {plan.latency_ms:g} ms added latency. Dashboard: "
        f"gunicorn gthread, {workers} workers × {threads} threads, on {os.cpu_count()} "
        f"cores shared with the sandbox and the load generator. {plan.samples} samples per "
        f"latency row. Load average before the run: {load_before:.2f}.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


# --- The run -------------------------------------------------------------------------------


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def bench(plan: Plan, workdir: Path) -> str:
    procs = Processes()
    try:
        return _bench(plan, workdir, procs)
    finally:
        procs.stop_all()


def _bench(plan: Plan, workdir: Path, procs: Processes) -> str:
    # Other work on the machine skews every figure: the table says how busy it was.
    load_before = os.getloadavg()[0]
    say(f"starting the sandbox ({plan.tasks:,} tasks, {plan.latency_ms:g} ms latency)")
    sandbox_port, sandbox_process = start_sandbox(procs, plan, workdir)
    api = Sandbox(sandbox_port)

    password = secrets.token_urlsafe(16)
    env = django_env(workdir, sandbox_port)
    say("collecting static files, creating the database and the bench user")
    prepare_database(env, password, workdir)

    # Two dashboards, both as in production except that "uncached" never reuses a
    # fetched view (ACTIVITIES_CACHE_TTL=0), so each of its pages goes to the API.
    say("starting gunicorn twice (uncached and production settings)")
    uncached = start_dashboard(
        procs, "uncached", {**env, "ACTIVITIES_CACHE_TTL": "0"}, plan, workdir
    )
    production = start_dashboard(procs, "production", env, plan, workdir)
    workers, threads = configured_workers(plan)
    for dashboard in (uncached, production):
        wait_until_ready(dashboard, workers)
    cookie = sign_in(uncached.port, password)  # one database: good on both

    say("warming up every worker")
    warm_paths = ["/tasks/", "/tasks/?per_page=100", "/tasks/?page=2"]
    for dashboard in (uncached, production):
        warm_up(dashboard, cookie, warm_paths, clients=workers * 2)
    for _ in range(3):
        api.call({"per_page": 100})

    dash = Client(uncached.port, {"Cookie": cookie})
    list_rows = {}
    for per_page in (20, 100):
        say(f"list page at per_page {per_page}: {plan.samples} samples")
        list_rows[per_page] = time_list_page(dash, api, per_page, plan)
    say("default view with its concurrent upstream calls")
    default_view = time_default_view(dash, api, plan)
    dash.close()

    cached = {}
    dash = Client(production.port, {"Cookie": cookie})
    for per_page in (20, 100):
        say(f"cached repeat at per_page {per_page}")
        cached[per_page] = time_cached_view(dash, api, f"/tasks/?per_page={per_page}", plan)
    dash.close()

    say(f"export of {plan.tasks:,} tasks")
    export = time_export(production, cookie, plan)

    loads = []
    for clients in plan.clients:
        say(f"load: {clients} clients for {plan.load_seconds:g} s")
        loads.append(
            run_load(clients, plan.load_seconds, uncached, cookie, api, sandbox_process.pid, plan)
        )
    return report(
        plan, workers, threads, list_rows, default_view, cached, export, loads, load_before
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds, for CI")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="sandbox latency (50)")
    parser.add_argument("--tasks", type=int, help="tasks the sandbox serves (10,000)")
    parser.add_argument("--samples", type=int, help="timed requests per latency row (100)")
    parser.add_argument("--load-seconds", type=float, help="length of each load phase (20)")
    parser.add_argument(
        "--clients", type=int, nargs="+", help="concurrent clients of each load phase (8 32 64)"
    )
    parser.add_argument("--workers", type=int, help="gunicorn workers (gunicorn.conf.py's)")
    parser.add_argument("--keep", action="store_true", help="keep the logs and database")
    args = parser.parse_args(argv)
    plan = Plan.from_args(args)
    if plan.tasks < 100 or plan.samples < 1 or plan.load_seconds <= 0 or plan.load_seconds > 120:
        parser.error("needs --tasks >= 100, --samples >= 1 and 0 < --load-seconds <= 120")
    if any(not 1 <= clients <= 256 for clients in plan.clients):
        parser.error("--clients must be between 1 and 256")

    # Ctrl-C and a plain kill both end the run through the finally blocks.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    workdir = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    try:
        table = bench(plan, workdir)
    except BenchError as exc:
        say(f"failed: {exc}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        if args.keep:
            say(f"logs and database kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(table, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
