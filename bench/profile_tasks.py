"""Profile /tasks/ in-process: CPU per page, database queries per page, top functions.

    .venv/bin/python bench/profile_tasks.py            # cached 20 and 100, uncached 20
    .venv/bin/python bench/profile_tasks.py --top 25   # more profile lines

No gunicorn and no network beyond 127.0.0.1: Django's test client calls the view in
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
    for _ in range(repeat):
        before = sandbox.request_count
        with CaptureQueriesContext(connection) as captured:
            started = time.process_time()
            response = client.get(path)
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


def profile(client, path: str, repeat: int, top: int, sampler: str) -> str:
    if sampler == "pyinstrument":
        from pyinstrument import Profiler

        sampling = Profiler(interval=0.0005)
        with sampling:
            for _ in range(repeat):
                client.get(path)
        return sampling.output_text(show_all=False, short_mode=False)
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    for _ in range(repeat):
        client.get(path)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def run(args: argparse.Namespace) -> None:
    from django.conf import settings
    from django.test import Client

    from sandbox import DEMO_KEY, generate_tasks, make_server

    sandbox = make_server(tasks=generate_tasks(dt.date.today(), count=args.tasks)).start()
    settings.ACTIVITIES_API_BASE_URL = sandbox.url
    settings.ACTIVITIES_API_KEY = DEMO_KEY
    client = Client()
    client.force_login(supervisor())
    cases = [
        ("cached, per_page 20", "/tasks/?per_page=20", 30),
        ("cached, per_page 100", "/tasks/?per_page=100", 30),
        ("uncached, per_page 20", "/tasks/?per_page=20&page={n}", 0),
        ("uncached, per_page 100", "/tasks/?per_page=100&page={n}", 0),
    ]
    try:
        for name, path, ttl in cases:
            if args.only not in name:
                continue
            settings.ACTIVITIES_CACHE_TTL = ttl
            if "{n}" in path:
                path = path.format(n=2)
            for _ in range(3):  # warm up: imports, templates, the cache
                client.get(path)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--profiler", choices=("cprofile", "pyinstrument"), default="pyinstrument")
    parser.add_argument("--only", default="", help="run only the cases whose name has this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(folder)
        run(args)


if __name__ == "__main__":
    main()
