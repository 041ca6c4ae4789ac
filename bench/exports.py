"""Only the export rows of bench/run.py (CSV, Excel, 8 exports beside 8 paging clients).

    .venv/bin/python bench/exports.py                 # each row once, 10,000 tasks
    .venv/bin/python bench/exports.py --repeat 3      # each row three times

The same sandbox, gunicorn set-up and row functions as bench/run.py, without the rows
that do not concern exports, so that a change to the exports can be measured before
and after, alternately, on a loaded machine in a few minutes instead of ten.
`--env NAME=VALUE` passes a setting to both dashboards (e.g. a pacing share).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/exports.py`
    sys.path.insert(0, str(ROOT))

from bench.procs import Processes  # noqa: E402
from bench.run import (  # noqa: E402
    SECOND_USERNAME,
    BenchError,
    Client,
    Plan,
    Sandbox,
    django_env,
    prepare_database,
    say,
    sign_in,
    start_both,
    start_sandbox,
    time_export,
    time_export_rush,
    time_xlsx_export,
)


def measure(plan: Plan, workdir: Path, repeat: int, extra: dict[str, str], rows: set[str]) -> None:
    procs = Processes()
    try:
        port, sandbox = start_sandbox(procs, plan, workdir)
        api = Sandbox(port)
        password = "bench-" + os.urandom(8).hex()
        # Export slots of its own: a test run from the same folder cannot take them.
        lock_dir = {"ACTIVITIES_EXPORT_LOCK_DIR": str(workdir / "export-slots")}
        env = {**django_env(workdir, port), **lock_dir, **extra}
        prepare_database(env, password, workdir)
        warm_paths = ["/tasks/", "/tasks/?per_page=100"]
        uncached, production, cookie = start_both(procs, env, plan, workdir, password, warm_paths)
        Client(production.port, {"Cookie": cookie}).get("/tasks/export.csv?status=COMPLETED")
        cookies = [cookie, sign_in(uncached.port, password, SECOND_USERNAME)]
        for run in range(1, repeat + 1):
            load = os.getloadavg()
            say(f"run {run}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
            if "csv" in rows:
                export = time_export(production, cookie, plan)
                print(
                    f"CSV: total {export.seconds:.2f} s, first byte {export.first_byte:.3f} s, "
                    f"peak RSS {export.peak_rss_kib / 1024:.0f} MB",
                    flush=True,
                )
            if "xlsx" in rows:
                print(f"Excel: {time_xlsx_export(production, cookie, plan).cells()}", flush=True)
            if "rush" in rows:
                row = time_export_rush(uncached, cookies, api, sandbox.pid, plan)
                print(f"Rush: {row.cells()}", flush=True)
    finally:
        procs.stop_all()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rows", nargs="+", default=["csv", "xlsx", "rush"])
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    plan = Plan.from_args(
        argparse.Namespace(
            quick=False,
            tasks=args.tasks,
            samples=None,
            load_seconds=None,
            clients=None,
            workers=None,
            latency_ms=args.latency_ms,
            no_postgres=True,
        )
    )
    extra = dict(item.split("=", 1) for item in args.env)
    with tempfile.TemporaryDirectory(prefix="dashboard-bench-exports-") as workdir:
        try:
            measure(plan, Path(workdir), args.repeat, extra, set(args.rows))
        except BenchError as exc:
            say(f"failed: {exc}")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
