"""Profile /tasks/ in-process: CPU per page, database queries per page, top functions.

    .venv/bin/python bench/profile_tasks.py            # cached 20 and 100, uncached 20
    .venv/bin/python bench/profile_tasks.py --top 25   # more profile lines
    .venv/bin/python bench/profile_tasks.py --gunicorn [--root OTHER_TREE]
    .venv/bin/python bench/profile_tasks.py --layers      # a kept page's time by layer
    .venv/bin/python bench/profile_tasks.py --callgrind [--root OTHER_TREE]

`--gunicorn` measures issue 14's rows of bench/run.py only (uncached list pages at 20
and 100 per page against the direct call, cached repeats, one load phase) with
bench/run.py's own functions, through gunicorn as in production: a minute or two
instead of the whole run. It starts with the floor: a trivial WSGI app under the same
gunicorn.conf.py, then /healthz without and with a session, each with the workers'
CPU per request (`--only cached` stops after the cached repeats). `--root` serves
another checkout (e.g. `git archive` of the commit before a change) with the same
measuring code, to compare the two in turns.

`--callgrind` counts the instructions one gunicorn worker (same gunicorn.conf.py, one
worker) spends per request under valgrind's callgrind: a trivial WSGI app, /healthz
without and with a session, the kept /tasks/ at 20 and 100 per page, and pages 1, 2,
3... of /tasks/ at 20 and 100 per page on bench/run.py's uncached server. Unlike times on
a shared machine, the counts do not move with the load (a few minutes: valgrind runs
Python about 50 times slower).

Otherwise no gunicorn and no network beyond 127.0.0.1: Django's test client calls the view in
this process, signed in as a real supervisor (a member of the Supervisors group, in a
throw-away SQLite database), against the sandbox served from a thread. It prints, for
each case, the CPU time per page (median of `--repeat` pages, `time.process_time`),
the database queries per page, the upstream calls per page, and cProfile's top
entries (by own time and by cumulative time). bench/README.md keeps the figures.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.procs import Processes  # noqa: E402 (after the path is set)


def setup_django(folder: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/profile.sqlite3"
    os.environ.setdefault("DJANGO_HTTPS", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)


def supervisor():
    from django.contrib.auth.models import Group, Permission, User

    group, _ = Group.objects.get_or_create(name="Supervisors")
    group.permissions.add(Permission.objects.get(codename="view_tasks"))
    user = User.objects.create_user(username="profile")  # force_login: no password needed
    user.groups.add(group)
    return user


def measure(client, sandbox, path: str, repeat: int) -> dict:
    """CPU per page (ms, median), queries and upstream calls per page, over `repeat` pages."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cpu, queries, calls = [], [], []
    for n in range(repeat):
        before = sandbox.request_count
        with CaptureQueriesContext(connection) as captured:
            started = time.process_time()
            response = client.get(paged(path, n))
            cpu.append((time.process_time() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        queries.append(len(captured.captured_queries))
        calls.append(sandbox.request_count - before)
    return {
        "cpu_ms": statistics.median(cpu),
        "queries": statistics.median(queries),
        "calls": statistics.mean(calls),
        "sql": [q["sql"] for q in captured.captured_queries],
    }


# Pages a `{page}` path goes through: each once in the 100 pages measured, as in
# bench/run.py's rows (10,000 tasks), so no page is seen twice.
PAGES = 100


def paged(path: str, n: int) -> str:
    """`path` with its `{page}` (if any) the n-th page: paging through a view."""
    return path.format(page=1 + n % PAGES) if "{page}" in path else path


def profile(client, path: str, repeat: int, top: int, sampler: str) -> str:
    if sampler == "pyinstrument":
        from pyinstrument import Profiler

        sampling = Profiler(interval=0.0005)
        with sampling:
            for n in range(repeat):
                client.get(paged(path, n))
        return sampling.output_text(show_all=False, short_mode=False)
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    for n in range(repeat):
        client.get(paged(path, n))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# (name, path, ACTIVITIES_CACHE_TTL) of the in-process cases.
CASES = (
    ("cached, per_page 20", "/tasks/?per_page=20", 30),
    ("cached, per_page 100", "/tasks/?per_page=100", 30),
    # The same page fetched anew each time (a reload): since the eighth day the page
    # around its rows is kept (activities/kept_pages.py), so only the rows are drawn.
    ("uncached, per_page 20", "/tasks/?per_page=20&page=2", 0),
    ("uncached, per_page 100", "/tasks/?per_page=100&page=2", 0),
    # Another page each time, as paging through a view (bench/run.py's rows; run with
    # --tasks 10000, so that every page has its rows).
    ("paging uncached, per_page 20", "/tasks/?per_page=20&page={page}", 0),
    ("paging uncached, per_page 100", "/tasks/?per_page=100&page={page}", 0),
)


def run(args: argparse.Namespace) -> None:
    from django.conf import settings
    from django.test import Client

    from sandbox import DEMO_KEY, generate_tasks, make_server

    sandbox = make_server(tasks=generate_tasks(dt.date.today(), count=args.tasks)).start()
    settings.ACTIVITIES_API_BASE_URL = sandbox.url
    settings.ACTIVITIES_API_KEY = DEMO_KEY
    client = Client()
    client.force_login(supervisor())
    try:
        for name, path, ttl in CASES:
            if args.only not in name:
                continue
            settings.ACTIVITIES_CACHE_TTL = ttl
            # Warm up (imports, templates, the cache) on the last pages, which the first
            # 97 measured do not reach.
            for n in range(3):
                client.get(paged(path, PAGES - 1 - n))
            result = measure(client, sandbox, path, args.repeat)
            print(f"## {name}: {path}")
            print(
                f"CPU per page: median {result['cpu_ms']:.2f} ms; "
                f"{result['queries']:g} database queries; "
                f"{result['calls']:.1f} upstream calls per page"
            )
            for sql in result["sql"]:
                print(f"  SQL: {sql[:160]}")
            if not args.no_profile:
                print(profile(client, path, args.repeat, args.top, args.profiler))
    finally:
        sandbox.stop()


# A kept page's layers: (module, attribute) of each function timed, inner ones included
# in outer ones' time. Attributes a tree lacks are skipped (an older checkout).
LAYERS = (
    ("django.contrib.auth", "get_user"),  # the session and the user, both statements
    ("dashboard.sessions.SessionStore", "load"),
    ("dashboard.auth.ModelBackend", "get_user"),
    ("activities.user_cache", "can_view_tasks"),
    ("activities.views", "_wants_canonical_url"),  # the query string's first parse
    ("activities.views", "bound_form"),
    ("activities.views", "_fetch"),  # the cache read of the list and counts
    ("activities.views", "RowFormatter"),
    ("activities.views.tables", "rows"),
    ("activities.views.pages", "respond"),
    ("activities.kept_pages", "_has_messages"),
    ("activities.kept_pages", "_request_parts"),
    ("activities.user_cache", "sidebar_rows"),
    ("team.names", "datalists"),
    ("activities.kept_pages", "get_token"),
)


def layers(args: argparse.Namespace) -> None:
    """A kept /tasks/?per_page=20 through Django's WSGI handler (as gunicorn calls it),
    `args.repeat` times: the whole call's thread CPU (median) and each LAYERS entry's
    mean, each function wrapped to add up its own thread time."""
    from collections import defaultdict

    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import Client

    from sandbox import DEMO_KEY, generate_tasks, make_server

    sandbox = make_server(tasks=generate_tasks(dt.date.today(), count=args.tasks)).start()
    settings.ACTIVITIES_API_BASE_URL, settings.ACTIVITIES_API_KEY = sandbox.url, DEMO_KEY
    settings.ACTIVITIES_CACHE_TTL = 30
    client = Client()
    client.force_login(supervisor())
    client.get("/tasks/?per_page=20")  # the CSRF cookie a browser holds
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    spent: dict[str, float] = defaultdict(float)
    for where, name in LAYERS:
        owner = _owner(where)
        if hasattr(owner, name):
            setattr(owner, name, _timed(getattr(owner, name), f"{where}.{name}", spent))
    handler = WSGIHandler()
    try:
        for _ in range(20):  # warm up: the kept page, the cache, the decoded session
            _wsgi_call(handler, cookie)
        spent.clear()
        cpu = [_wsgi_call(handler, cookie) for _ in range(args.repeat)]
    finally:
        sandbox.stop()
    print(f"kept /tasks/?per_page=20, whole WSGI call: median {statistics.median(cpu):.3f} ms")
    print(f"(load average {os.getloadavg()[0]:.1f}; means of the {args.repeat} requests)")
    for label, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"  {label:45s} {seconds * 1000 / args.repeat:.3f} ms")


def _owner(where: str):
    """The module, or the object in a module, that `where` (dotted) names."""
    import importlib

    parts = where.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            owner = getattr(owner, attr)
        return owner
    raise SystemExit(f"nothing at {where}")


def _timed(function, label: str, spent: dict):
    def timed(*args, **kwargs):
        started = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.thread_time() - started

    return timed


def _wsgi_call(handler, cookie: str) -> float:
    """One GET of the kept page as gunicorn would make it: thread CPU in ms."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/tasks/",
        "QUERY_STRING": "per_page=20",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "HTTP_COOKIE": cookie,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
    }
    started = time.thread_time()
    response = handler(environ, lambda status, headers: None)
    if not b"".join(response):
        raise SystemExit("the kept page answered nothing")
    response.close()
    return (time.thread_time() - started) * 1000


def gunicorn_rows(args: argparse.Namespace) -> None:
    """Issue 14's rows of bench/run.py through gunicorn, for the tree at `args.root`."""
    import secrets

    from bench import run

    root = Path(args.root).resolve()
    run.ROOT = root  # where manage.py and gunicorn.conf.py are read from
    plan = run.Plan(50, 10_000, args.repeat, args.load_seconds, (args.clients,), None)
    procs = Processes(cwd=root)
    try:
        with tempfile.TemporaryDirectory() as folder:
            workdir = Path(folder)
            port, sandbox = run.start_sandbox(procs, plan, workdir)
            env = run.django_env(workdir, port)
            password = secrets.token_urlsafe(16)
            run.prepare_database(env, password, workdir)
            uncached_env = {**env, **run.UNCACHED}
            servers = [run.start_dashboard(procs, "uncached", uncached_env, plan, workdir)]
            servers.append(run.start_dashboard(procs, "production", env, plan, workdir))
            workers, _ = run.configured_workers(plan)
            for server in servers:
                run.wait_until_ready(server, workers)
            cookie = run.sign_in(servers[0].port, password)
            for server in servers:
                run.warm_up(server, cookie, ["/tasks/", "/tasks/?per_page=100"], workers * 2)
            print(f"## {root} (load average {os.getloadavg()[0]:.2f})")
            api = run.Sandbox(port)
            _trivial_row(run, plan, api, workdir, env)
            _gunicorn_table(run, plan, servers, cookie, api, sandbox.pid, args.only)
    finally:
        procs.stop_all()


def trivial_app(environ, start_response):
    """A WSGI app that answers a 16-byte JSON at once: gunicorn's own cost per request."""
    body = b'{"status": "ok"}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "16")])
    return [body]


def _trivial_row(run, plan, api, workdir: Path, env: dict[str, str]) -> None:
    """`trivial_app` under the same gunicorn.conf.py (this tree's), one connection."""
    procs = Processes(cwd=ROOT)
    port = run.free_port()
    command = [sys.executable, "-m", "gunicorn", "--config", str(run.ROOT / "gunicorn.conf.py")]
    command += ["--bind", f"{run.HOST}:{port}", "bench.profile_tasks:trivial_app"]
    process = procs.start(command, env=env, log=workdir / "gunicorn-trivial.log")
    try:
        server = run.Dashboard("trivial", port, process, workdir / "gunicorn-trivial.log")
        run.wait_until_ready(server, run.configured_workers(plan)[0])
        _repeat_row(run, plan, server, run.Client(port), api, "/", "trivial WSGI app")
    finally:
        procs.stop_all()


def _gunicorn_table(run, plan, servers, cookie: str, api, sandbox_pid: int, only: str) -> None:
    uncached, production = servers
    dash = run.Client(production.port, {"Cookie": cookie})
    # The floor: gunicorn, Django's handler and the middleware around a view that does
    # nothing, without and with the session cookie (the session and user are loaded by
    # the middleware that reads them), on the same kind of connection.
    _repeat_row(run, plan, production, run.Client(production.port), api, "/healthz", "healthz")
    _repeat_row(run, plan, production, dash, api, "/healthz", "healthz, signed in")
    if only in ("", "cached"):
        for per_page in (20, 100):
            _repeat_row(run, plan, production, dash, api, f"/tasks/?per_page={per_page}", "cached")
    if only == "cached":
        return
    dash = run.Client(uncached.port, {"Cookie": cookie})
    for per_page in (20, 100):
        timed = run.time_list_page(dash, api, per_page, plan)
        target = run.OVERHEAD_TARGET_MS[per_page]
        print(run.latency_row(f"uncached {per_page}", timed, target_ms=target).cells())
    if only == "uncached":
        return
    load = run.run_load(
        plan.clients[0], plan.load_seconds, uncached, cookie, api, sandbox_pid, plan
    )
    print(
        f"load {load.clients} clients: {load.requests / load.seconds:.0f} pages/s, "
        f"{load.errors} errors, CPU {load.cpu}"
    )


def _repeat_row(run, plan, server, dash, api, path: str, name: str) -> None:
    """The same path again and again on one connection: median wall time, and the
    workers' CPU per request (utime + stime from /proc, gunicorn's own work included)."""
    from bench.procs import cpu_seconds

    workers = server.workers
    cpu = cpu_seconds(workers)
    timed = run.time_cached_view(dash, api, path, plan)
    cpu_ms = (cpu_seconds(workers) - cpu) * 1000 / (len(timed.seconds) + 2)
    wall = run.ms(run.median(timed.seconds))
    print(f"{name} {path}: median {wall}, workers' CPU {cpu_ms:.2f} ms a request")


# gunicorn settings for --callgrind: the tree's own, one worker, and a hook that calls
# two rare C functions on a marked request; callgrind dumps its counts before each, so
# the second dump holds exactly the requests between the marks.
CALLGRIND_CONF = """
import os
exec(open(os.environ["PROFILE_TASKS_CONF"]).read())
workers = 1
timeout = 900


def pre_request(worker, req):
    for name, value in req.headers:
        if name == "X-CALLGRIND":
            (os.sched_get_priority_max if value == "start" else os.sched_get_priority_min)(0)
"""
# (name, path, signed in, server): "app" is the trivial WSGI app, "cached" the dashboard
# as in production, "uncached" bench/run.py's uncached server; `{page}`: another page
# each request (`paged`), as paging through a view.
CALLGRIND_ROWS = (
    ("trivial WSGI app", "/", False, "app"),
    ("healthz", "/healthz", False, "cached"),
    ("healthz, signed in", "/healthz", True, "cached"),
    ("kept", "/tasks/?per_page=20", True, "cached"),
    ("kept", "/tasks/?per_page=100", True, "cached"),
    ("paging uncached", "/tasks/?per_page=20&page={page}", True, "uncached"),
    ("paging uncached", "/tasks/?per_page=100&page={page}", True, "uncached"),
)


def callgrind_rows(args: argparse.Namespace) -> None:
    """Instructions per request in one worker of the tree at `args.root`."""
    import secrets

    from bench import run

    root = Path(args.root).resolve()
    run.ROOT, run.STARTUP_TIMEOUT, run.REQUEST_TIMEOUT = root, 900.0, 900.0
    # 10,000 tasks: 100 pages of 100, so that no page is counted twice (`paged`).
    plan = run.Plan(50, 10_000, args.repeat, 1.0, (1,), None)
    procs = Processes(cwd=root)
    try:
        with tempfile.TemporaryDirectory() as folder:
            workdir = Path(folder)
            port, _ = run.start_sandbox(procs, plan, workdir)
            env = {
                **run.django_env(workdir, port),
                "PROFILE_TASKS_CONF": str(root / "gunicorn.conf.py"),
                # Kept for the whole run: a page fetched anew would land among the
                # counted requests (callgrind makes the run minutes long).
                "ACTIVITIES_CACHE_TTL": "3600",
                "ACTIVITIES_COUNTS_TTL": "3600",
            }
            env["PYTHONPATH"] = str(ROOT)  # bench.profile_tasks:trivial_app
            password = secrets.token_urlsafe(16)
            run.prepare_database(env, password, workdir)
            (workdir / "callgrind.conf.py").write_text(CALLGRIND_CONF)
            print(
                f"## {root}: instructions per request, one gunicorn worker ({args.repeat} requests)"
            )
            for kind in ("app", "cached", "uncached"):
                rows = [row[:3] for row in CALLGRIND_ROWS if row[3] == kind]
                app = "bench.profile_tasks:trivial_app" if kind == "app" else None
                server_env = {**env, **run.UNCACHED} if kind == "uncached" else env
                _callgrind_server(run, procs, plan, workdir, server_env, password, app, rows)
    finally:
        procs.stop_all()


def _callgrind_server(run, procs, plan, workdir: Path, env, password: str, app, rows) -> None:
    import re

    port = run.free_port()
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={workdir}/cg.%p"]
    command += ["--dump-before=os_sched_get_priority_m*", sys.executable, "-m", "gunicorn"]
    command += ["--config", str(workdir / "callgrind.conf.py"), "--bind", f"{run.HOST}:{port}"]
    command += [app] if app else []
    log = workdir / f"callgrind-{port}.log"
    server = run.Dashboard("callgrind", port, procs.start(command, env=env, log=log), log)
    run.wait_until_ready(server, 1)
    cookie = run.sign_in(port, password) if not app else ""
    (worker,) = server.workers
    for name, path, signed_in in rows:
        client = run.Client(port, {"Cookie": cookie} if signed_in else {})
        for n in range(30):  # warm up: imports, templates, the kept page
            run.page_ok(client.get(paged(path, PAGES - 1 - n)), path)
        client.request("GET", paged(path, 0), headers={"X-CALLGRIND": "start"})
        for n in range(1, plan.samples):
            run.page_ok(client.get(paged(path, n)), path)
        client.request("GET", paged(path, plan.samples), headers={"X-CALLGRIND": "stop"})
        client.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            dumps = [
                f for f in workdir.glob(f"cg.{worker}.*") if "priority_min" in f.read_text()[:2000]
            ]
            if dumps:
                break
            time.sleep(0.5)
        else:
            raise SystemExit(f"callgrind wrote no counts for {path} (see {log})")
        text = dumps[0].read_text()
        for dump in workdir.glob(f"cg.{worker}.*"):
            dump.unlink()
        total = int(re.search(r"^(?:summary|totals): (\d+)", text, re.M).group(1))
        print(f"{name} {path}: {total / plan.samples / 1e6:.3f} M instructions a request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--profiler", choices=("cprofile", "pyinstrument"), default="pyinstrument")
    parser.add_argument("--only", default="", help="run only the cases whose name has this")
    parser.add_argument("--gunicorn", action="store_true", help="issue 14's bench rows only")
    parser.add_argument("--root", default=str(ROOT), help="the tree --gunicorn serves")
    parser.add_argument("--load-seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--layers", action="store_true", help="a kept page's time by layer")
    parser.add_argument("--callgrind", action="store_true", help="instructions per request")
    args = parser.parse_args()
    if args.gunicorn:
        gunicorn_rows(args)
        return
    if args.callgrind:
        callgrind_rows(args)
        return
    with tempfile.TemporaryDirectory() as folder:
        setup_django(folder)
        layers(args) if args.layers else run(args)


if __name__ == "__main__":
    main()
