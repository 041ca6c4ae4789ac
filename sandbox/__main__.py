"""Run the sandbox in the foreground: ``python -m sandbox [--port 8001]``."""

from __future__ import annotations

import argparse

from .server import DEMO_KEY, TASKS_PATH, make_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Serve a fake Integration API (List Activities) for demos.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before each answer")
    args = parser.parse_args(argv)

    server = make_server(args.host, args.port, latency=args.latency_ms / 1000)
    print(
        f"Sandbox Integration API on {server.url}{TASKS_PATH} "
        f"(x-api-key: {DEMO_KEY}); Ctrl-C to stop",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
