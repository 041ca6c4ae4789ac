"""Run the sandbox in the foreground: ``python -m sandbox [--port 8001] [--tasks 600]``."""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import threading

from .data import generate_tasks
from .server import CONTROL_PATH, DEMO_KEY, FAULTS, TASKS_PATH, make_server


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    options = {
        "times": args.fault_times,
        "delay": args.fault_delay,
        "retry_after": args.retry_after,
        "status": args.fault_status,
    }
    if args.fault is None and any(value is not None for value in options.values()):
        parser.error("--fault-times, --fault-delay, --retry-after and --fault-status need --fault")
    if args.tasks < 0:
        parser.error("--tasks must not be negative")

    tasks = generate_tasks(dt.date.today(), count=args.tasks)
    server = make_server(args.host, args.port, tasks=tasks, latency=args.latency_ms / 1000)
    if args.fault is not None:
        try:
            server.set_fault(args.fault, **options)
        except ValueError as exc:
            server.server_close()
            parser.error(str(exc))
    print(
        f"Sandbox Integration API on {server.url}{TASKS_PATH} "
        f"(x-api-key: {DEMO_KEY}); faults at {server.url}{CONTROL_PATH}; Ctrl-C to stop",
        flush=True,
    )
    if server.fault is not None:
        print(f"Fault on: {server.fault}", flush=True)
    signal.signal(signal.SIGINT, lambda *_: _stop(server))
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Serve a fake Integration API (List Activities) for demos.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before each answer")
    parser.add_argument(
        "--tasks", type=int, default=600, metavar="N", help="how many tasks to serve (600)"
    )
    faults = parser.add_argument_group(
        "faults", f"start with a fault on; switch it later at /_sandbox/ ({', '.join(FAULTS)})"
    )
    faults.add_argument("--fault", choices=list(FAULTS), metavar="NAME", help="the fault")
    faults.add_argument(
        "--fault-times", type=int, metavar="N", help="only the next N requests (default: all)"
    )
    faults.add_argument(
        "--fault-delay", type=float, metavar="S", help="seconds before it acts (slow, hang...)"
    )
    faults.add_argument("--retry-after", type=int, metavar="S", help="Retry-After of 429 and 503")
    faults.add_argument("--fault-status", type=int, metavar="CODE", help="status of the html page")
    return parser


def _stop(server) -> None:
    """Ctrl-C: end serve_forever() at its next poll. A KeyboardInterrupt raised wherever
    the main thread happened to be could leave a lock held (a `with` interrupted
    between acquiring and entering) and the process hanging instead of exiting.
    `shutdown()` waits for the loop to end, so it runs beside it, not in this handler."""
    threading.Thread(target=server.shutdown, name="sandbox-stop", daemon=True).start()


if __name__ == "__main__":
    raise SystemExit(main())
