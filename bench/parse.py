"""Microbenchmark: decoding a 100-task page with msgspec (today), pydantic v2 and the old parser.

Usage: .venv/bin/python bench/parse.py [--rounds 2000]

Each parser gets the same JSON bytes (100 sandbox tasks) and must build typed records;
the figure is the median CPU time (process_time, steadier than wall time on a
busy machine) over rounds, in µs per page, JSON decoding included. The old
hand-written parser is read from git (the last commit that had activities/client.py);
pydantic is optional (requirements-dev.txt). Results are in bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

import django  # noqa: E402

django.setup()

from activities.api import parse_page  # noqa: E402
from sandbox import generate_tasks  # noqa: E402

OLD_CLIENT = "5c4ba0a:activities/client.py"  # the parser before activities/api/


def _body() -> bytes:
    tasks = generate_tasks(dt.date(2026, 4, 15), count=100)
    meta = {"page": 1, "per_page": 100, "total": 100, "totalPages": 1}
    return json.dumps({"data": tasks, "meta": meta}).encode()


def _old_parser():
    """The old `parse_page`, loaded from git; None when the history is not there."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        source = subprocess.run(  # noqa: S603 (git with fixed arguments)
            [git, "show", OLD_CLIENT], cwd=ROOT, capture_output=True, check=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("old_client")
    sys.modules["old_client"] = module  # dataclasses look their module up
    exec(compile(source, "old_client.py", "exec"), module.__dict__)  # noqa: S102 (our own code)
    return lambda body: module.parse_page(json.loads(body))


def _pydantic_parser():
    """The same records as pydantic v2 models; None when pydantic is not installed."""
    try:
        from bench.pydantic_page import Page
    except ImportError:
        return None
    return Page.model_validate_json


def _median_us(parse, body: bytes, rounds: int) -> float:
    parse(body)  # warm up
    times = []
    for _ in range(rounds):
        started = time.process_time()
        parse(body)
        times.append(time.process_time() - started)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds
    body = _body()
    candidates = {
        "msgspec (activities.api)": parse_page,
        "pydantic v2": _pydantic_parser(),
        "old hand-written parser": _old_parser(),
    }
    print(f"100-task page, {len(body):,} bytes of JSON; median of {rounds} rounds")
    for name, parse in candidates.items():
        if parse is None:
            print(f"{name:26} skipped (not available)")
        else:
            print(f"{name:26} {_median_us(parse, body, rounds):8.0f} µs per page")


if __name__ == "__main__":
    main()
