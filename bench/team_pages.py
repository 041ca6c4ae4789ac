"""Benchmark the team pages over a local copy of 5,000 and 60,000 tasks, in-process.

    .venv/bin/python bench/team_pages.py            # SQLite in a temporary folder
    DATABASE_URL=postgres://... .venv/bin/python bench/team_pages.py   # an empty PostgreSQL
    .venv/bin/python bench/team_pages.py --copy run  # bench/run.py's copy instead

It fills the copy (TaskRecord rows as a sync writes them), then times the pages with
Django's test client: the database and the rendering, without gunicorn or the network.
Prints a Markdown table with each figure beside its target (issue "The team overview").

`--copy synthetic` (the default): 60 operators x 25 routes, every operator on every
route. `--copy run`: bench/run.py's own fill (sandbox tasks mapped by the syncer's
code: 15 operators, 8 routes), the copy its team rows are measured on. Either way the
copy gets the statistics the syncer leaves (mirror.sync.refresh_statistics).
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


def main() -> int:
    like_run = sys.argv[1:] == ["--copy", "run"]
    if sys.argv[1:] not in ([], ["--copy", "run"], ["--copy", "synthetic"]):
        raise SystemExit("usage: bench/team_pages.py [--copy synthetic|run]")
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
