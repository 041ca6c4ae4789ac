"""Benchmark the team pages over a local copy of 5,000 and 60,000 tasks, in-process.

    .venv/bin/python bench/team_pages.py            # SQLite in a temporary folder
    DATABASE_URL=postgres://... .venv/bin/python bench/team_pages.py   # an empty PostgreSQL
    .venv/bin/python bench/team_pages.py --copy run  # bench/run.py's copy instead
    .venv/bin/python bench/team_pages.py --gunicorn [--root TREE ...] [--postgres]

It fills the copy (TaskRecord rows as a sync writes them), then times the pages with
Django's test client: the database and the rendering, without gunicorn or the network.
Prints a Markdown table with each figure beside its target (issue "The team overview").

`--copy synthetic` (the default): 60 operators x 25 routes, every operator on every
route. `--copy run`: bench/run.py's own fill (sandbox tasks mapped by the syncer's
code: 15 operators, 8 routes), the copy its team rows are measured on. Either way the
copy gets the statistics the syncer leaves (mirror.sync.refresh_statistics).

`--gunicorn` times bench/run.py's team rows through gunicorn instead, with its own
functions (its copy, gunicorn.conf.py, one keep-alive connection, 2 warm-up requests
per row): a minute or two instead of the whole run. Each `--root` (another checkout,
e.g. `git archive` of the commit before a change) gets its own gunicorn over the same
copy, and the rounds take them in turns, so both see the same load. Beside the time
the client sees, it prints gunicorn's own time per request (its access log's `%(D)s`)
and the same page timed in-process with Django's test client on the same copy.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = 15
OPERATORS, ROUTES, COMMERCES = 60, 25, 2_000


def _rows(count: int, days: int, *, seed: int):
    """`count` tasks spread over the `days` local days up to today, as the syncer stores them."""
    from django.utils import timezone

    from mirror.models import TaskRecord
    from mirror.records import slot

    rnd = random.Random(seed)  # noqa: S311 (made-up tasks, not secrets)
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    now = timezone.now()
    for n in range(count):
        op, route = rnd.randrange(OPERATORS), rnd.randrange(ROUTES)
        status = rnd.choice(("PENDING", "IN_PROGRESS", "COMPLETED", "COMPLETED", "CANCELLED"))
        result = rnd.choice(("EFFECTIVE", "NOT_EFFECTIVE", None)) if status == "COMPLETED" else None
        when = today - timedelta(days=rnd.randrange(days)) + timedelta(minutes=rnd.randrange(1440))
        yield TaskRecord(
            id=f"{seed}-{n}", status=status, channel=rnd.choice(("SALESMAN", "CALLCENTER")),
            scheduled_at=when, scheduled_slot=slot(when),
            commerce_external_id=f"C-{rnd.randrange(COMMERCES)}",
            commerce_name=f"Comercio {n % COMMERCES}", operator_external_id=f"OP-{op}",
            operator_name=f"Operador {op}", operator_type="SALESMAN",
            route_code=f"R-{route}", route_name=f"Ruta {route}", result_status=result,
            data={}, last_seen_at=now,
        )  # fmt: skip


def _time(client, path: str) -> tuple[float, float]:
    """The medians of SAMPLES requests after one warm-up, in ms: wall-clock time, and this
    process's CPU time (on a loaded machine the wall clock also counts waiting for a core;
    on SQLite the CPU time includes the database's work, on PostgreSQL it does not)."""
    client.get(path)
    times, cpu = [], []
    for _ in range(SAMPLES):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
    return statistics.median(times) * 1000, statistics.median(cpu) * 1000


def _setup() -> None:
    folder = tempfile.mkdtemp(prefix="bench-team-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder}/db.sqlite3")
    os.environ.setdefault("DJANGO_DEBUG", "1")  # static files without collectstatic
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    # In-process, a page is timed as drawn: none is kept (team/kept.py), whatever copy.
    os.environ.setdefault("ACTIVITIES_KEPT_PAGES", "0")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _analyze(connection) -> None:
    """Table statistics as the syncer leaves them after a run (mirror.sync), and on
    PostgreSQL the visibility map autovacuum keeps on a copy the syncer fills over hours:
    without them the planner guesses on fresh rows."""
    from mirror.models import TaskRecord
    from mirror.sync import refresh_statistics

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE mirror_taskrecord")
    refresh_statistics(upserted=TaskRecord.objects.count())


def _fill_like_run(day: int, month: int) -> str:
    """bench/run.py's fill (its FILL_COPY script, run here): the busiest operator today."""
    import contextlib
    import io

    sys.path.insert(0, str(ROOT / "bench"))
    import run

    os.environ["BENCH_DAY"], os.environ["BENCH_MONTH"] = str(day), str(month)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(run.FILL_COPY, {"__name__": "bench_fill"})  # noqa: S102  # nosec B102 (our own script)
    return printed.getvalue().split("BENCH_OPERATOR=")[1].split()[0]


# The same page in-process, on the same copy, for the gunicorn-vs-in-process gap: a
# `manage.py shell` script in the served tree, signed in as the bench user.
IN_PROCESS = """
import os, statistics, time
from django.contrib.auth.models import User
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(User.objects.get(username="bench"))
path, samples = os.environ["BENCH_PATH"], int(os.environ["BENCH_SAMPLES"])
wall, cpu = [], []
for n in range(samples + 2):
    started, started_cpu = time.perf_counter(), time.process_time()
    assert client.get(path).status_code == 200
    if n >= 2:
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
print(f"BENCH_IN_PROCESS={statistics.median(wall)} {statistics.median(cpu)}")
"""


def _served_ms(log: Path, skip: int) -> list[float]:
    """gunicorn's own time (ms) of each request logged after the first `skip` lines."""
    lines = log.read_text(errors="replace").splitlines()
    return [int(x.rsplit(" ", 2)[-2]) / 1000 for x in lines if x.startswith("TIMED ")][skip:]


def _in_process(root: Path, env: dict, path: str, samples: int) -> tuple[float, float]:
    import subprocess  # nosec B404 (our own interpreter, fixed arguments)

    done = subprocess.run(  # noqa: S603  # nosec B603
        [sys.executable, "manage.py", "shell", "-c", IN_PROCESS],
        cwd=root,
        env={**env, "BENCH_PATH": path, "BENCH_SAMPLES": str(samples)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if "BENCH_IN_PROCESS=" not in done.stdout:
        raise SystemExit(f"in-process timing failed:\n{done.stderr[-2000:]}")
    wall, cpu = done.stdout.split("BENCH_IN_PROCESS=")[1].split()[:2]
    return float(wall) * 1000, float(cpu) * 1000


def gunicorn(args) -> int:
    """bench/run.py's team rows through gunicorn, one server per `--root`, in turns."""
    import contextlib
    import secrets

    sys.path.insert(0, str(ROOT))
    from bench import run
    from bench.procs import Processes

    roots = [Path(r).resolve() for r in (args.root or [str(ROOT)])]
    plan = run.Plan(50, 200, args.samples, 1.0, (1,), None, postgres=args.postgres)
    args.plan = plan
    procs = {root: Processes(cwd=root) for root in roots}
    services = contextlib.ExitStack()
    try:
        with tempfile.TemporaryDirectory() as folder:
            workdir = Path(folder)
            port, _ = run.start_sandbox(procs[roots[0]], plan, workdir)
            env = run.django_env(workdir, port)
            if args.postgres:
                env["DATABASE_URL"] = run.start_postgres(services, workdir)
            password = secrets.token_urlsafe(16)
            run.ROOT = roots[0]  # migrations and the fill from the first tree
            run.prepare_database(env, password, workdir)
            # The copy's slices, as bench/run.py's sync leaves them before its fill.
            run.run_sync(procs[roots[0]], env, [], workdir / "sync.log", 600)
            operator = run.fill_copy(env, plan, workdir, "copy")
            _served(run, args, roots, procs, env, password, operator, workdir)
    finally:
        for each in procs.values():
            each.stop_all()
        services.close()
    return 0


def _served(run, args, roots, procs, env, password, operator, workdir) -> None:
    from bench.procs import cpu_seconds

    servers = []
    timed_env = {**env, "GUNICORN_CMD_ARGS": "--access-logformat='TIMED %(r)s %(D)s %(s)s'"}
    for n, root in enumerate(roots):
        servers.append(run.start_dashboard(procs[root], f"t{n}", timed_env, args.plan, workdir))
    for server in servers:
        run.wait_until_ready(server, run.configured_workers(args.plan)[0])
    cookie = run.sign_in(servers[0].port, password)
    path = {"operator": f"/team/operators/{operator}/", "day": "/team/?range=today"}[args.page]
    for server in servers:  # as bench/run.py's start_both, then the page itself
        run.warm_up(server, cookie, ["/tasks/", path], clients=8)
    print(f"{args.page} page {path}, {args.samples} samples a round, {len(roots)} servers")
    for number in range(args.rounds):
        for root, server in zip(roots, servers, strict=True):
            skip = len(_served_ms(server.log, 0))
            client = run.Client(server.port, {"Cookie": cookie})
            seen = []
            for n in range(args.samples + 2):
                if n == 2:  # the workers' CPU time (all of them: one serves the connection)
                    cpu = cpu_seconds(server.workers)
                reply = client.get(path)
                run.page_ok(reply, path)
                if n >= 2:
                    seen.append(reply.seconds * 1000)
            cpu = (cpu_seconds(server.workers) - cpu) * 1000 / args.samples
            client.close()
            served = _served_ms(server.log, skip + 2)
            line = (
                f"round {number} {root.name}: client {statistics.median(seen):.1f} ms, "
                f"gunicorn {statistics.median(served):.1f} ms (CPU {cpu:.1f})"
            )
            if args.in_process:
                wall, cpu = _in_process(root, env, path, args.samples)
                line += f", in-process {wall:.1f} ms (CPU {cpu:.1f})"
            print(f"{line}; load {os.getloadavg()[0]:.1f}", flush=True)


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copy", choices=("synthetic", "run"), default="synthetic")
    parser.add_argument("--gunicorn", action="store_true", help="bench/run.py's team rows")
    parser.add_argument("--root", action="append", help="a tree to serve (repeatable)")
    parser.add_argument("--postgres", action="store_true", help="a PostgreSQL copy")
    parser.add_argument("--page", choices=("operator", "day"), default="operator")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--in-process", action="store_true", help="time it in-process too")
    args = parser.parse_args()
    return gunicorn(args) if args.gunicorn else in_process(like_run=args.copy == "run")


def in_process(*, like_run: bool) -> int:
    """The team pages timed with Django's test client; prints the Markdown table."""
    _setup()
    from django.contrib.auth.models import Permission, User
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from mirror.models import TaskRecord

    user = User.objects.create_user("bench-team")
    user.user_permissions.add(Permission.objects.get(codename="view_tasks"))
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    rows = []
    today = timezone.localdate()
    month = f"scheduled_from={today - timedelta(days=29)}&scheduled_to={today}"
    operator = _fill_like_run(5_000, 60_000) if like_run else "OP-7"  # one copy, as run.py
    if like_run:
        _analyze(connection)
    for count, days, path, target in (
        (5_000, 1, "/team/?range=today" if like_run else "/team/", 50),
        (60_000, 30, f"/team/?{month}", 250),
        (60_000, 30, f"/team/operators/{operator}/", 30),
    ):
        if not like_run and TaskRecord.objects.count() != count:
            TaskRecord.objects.all().delete()
            TaskRecord.objects.bulk_create(_rows(count, days, seed=count), batch_size=2_000)
            _analyze(connection)
        median, cpu = _time(client, path)
        met = "yes" if median < target else "no"
        rows.append(f"| `{path}`, {count:,} tasks over {days} days | median {median:.0f} ms "
                    f"| {cpu:.0f} ms | < {target} ms | {met} |")  # fmt: skip
    copy = "bench/run.py's copy" if like_run else "synthetic copy"
    print(f"Database: {connection.vendor}, {copy}. Load: {os.getloadavg()[0]:.2f}.\n")
    print("| Measurement | Result | CPU (this process) | Target | Met? |\n|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
