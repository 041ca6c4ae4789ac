"""Lighthouse's scores for the 100-row task list, in production mode under gunicorn.

    ./scripts/lighthouse                   installs Lighthouse, then runs this
    .venv/bin/python scripts/lighthouse.py --lighthouse DIR/node_modules/.bin/lighthouse

A manual check (bench/README.md, "Lighthouse"), not part of the tests or CI. It starts
the sandbox API and gunicorn (gunicorn.conf.py, two workers) on free loopback ports in
production mode (DJANGO_DEBUG=false, a generated secret key, collectstatic done) over
plain HTTP (DJANGO_HTTPS=false), signs a supervisor in through the login form, and runs
Lighthouse (mobile preset, Debian's Chromium) on /tasks/?per_page=100 with that
session's cookies, `--runs` times, keeping the best. It prints the scores of
performance, accessibility and best practices, and every audit that cost points.

Exit status: 0 when all three are 100, 1 when one is not, 2 when it could not run.
Every process it starts is stopped before it exits; every request goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as python scripts/lighthouse.py: only scripts/ is on the path
from bench.procs import Failed, Processes, free_port, log_tail, manage, request, wait_for  # noqa: E402

HOST = "127.0.0.1"
USERNAME = "lighthouse"
PAGE = "/tasks/?per_page=100"
CATEGORIES = ("performance", "accessibility", "best-practices")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"

CREATE_SUPERVISOR = """
import os
from django.contrib.auth.models import Group, User
from activities.access import GROUP
user = User.objects.create_user(os.environ["LH_USER"], password=os.environ["LH_PASSWORD"])
user.groups.add(Group.objects.get(name=GROUP))
"""


def django_env(workdir: Path, sandbox: int, password: str) -> dict[str, str]:
    """Production settings, except plain HTTP: everything here is on loopback."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ACTIVITIES_", "DJANGO_", "GUNICORN_"))
        and key not in ("DATABASE_URL", "CACHE_URL", "REDIS_URL", "WEB_CONCURRENCY")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'lighthouse.sqlite3'}",
        DJANGO_STATIC_ROOT=str(workdir / "static"),
        ACTIVITIES_API_BASE_URL=f"http://{HOST}:{sandbox}",
        ACTIVITIES_API_KEY="sandbox-demo-key",
        DJANGO_DEBUG="false",
        DJANGO_HTTPS="false",
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        WEB_CONCURRENCY="2",
        LH_USER=USERNAME,
        LH_PASSWORD=password,
        PYTHONUNBUFFERED="1",
    )
    return env


def start_servers(procs: Processes, workdir: Path, password: str) -> int:
    """Start the sandbox and gunicorn; return gunicorn's port once both answer."""
    sandbox, dashboard = free_port(), free_port()
    log = workdir / "sandbox.log"
    command = [sys.executable, "-m", "sandbox", "--host", HOST, "--port", str(sandbox)]
    process = procs.start(command, dict(os.environ), log)
    wait_for(sandbox, "/_sandbox/stats", process, log)

    env = django_env(workdir, sandbox, password)
    manage(env, "collectstatic", "--noinput")
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", CREATE_SUPERVISOR)
    log = workdir / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")]
    process = procs.start(command + ["--bind", f"{HOST}:{dashboard}"], env, log)
    wait_for(dashboard, "/healthz", process, log)
    return dashboard


def sign_in(port: int, password: str) -> dict[str, str]:
    """The cookies of a signed-in browser (session, CSRF, and the time zone chosen)."""
    cookies: dict[str, str] = {}
    status, _, html = request(port, "GET", "/accounts/login/", cookies)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if status != 200 or not match:
        raise Failed(f"the login page answered {status} without a form")
    form = {"csrfmiddlewaretoken": match.group(1), "username": USERNAME, "password": password}
    status, _, _ = request(port, "POST", "/accounts/login/", cookies, form)
    if status != 302 or "sessionid" not in cookies:
        raise Failed(f"signing in answered {status}, not a redirect with a session")
    status, _, _ = request(port, "GET", PAGE, cookies)
    if status != 200:
        raise Failed(f"{PAGE} answered {status} to the signed-in session")
    return cookies


def run_lighthouse(
    binary: str, url: str, cookies: dict, out: Path, log: Path, assets: bool
) -> dict:
    """One Lighthouse pass (mobile, its default preset); returns its JSON report. With
    `assets`, its trace is kept beside `out` (REPORT-0.trace.json)."""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    command = [
        binary,
        url,
        "--only-categories=" + ",".join(CATEGORIES),
        f"--chrome-flags={CHROME_FLAGS}",
        "--extra-headers=" + json.dumps(headers),
        "--output=json",
        f"--output-path={out}",
        "--quiet",
    ] + ["--save-assets"] * assets
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    procs = Processes(grace=20)
    try:
        process = procs.start(command, env, log)
        process.wait(timeout=300)
    finally:
        procs.stop_all()
    if process.returncode != 0 or not out.exists():
        raise Failed(f"Lighthouse failed ({process.returncode}):\n{log_tail(log, 25)}")
    return json.loads(out.read_text())


def scores(report: dict) -> dict[str, int]:
    return {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}


def blocking(report: dict) -> str:
    """Total Blocking Time and the machine's speed as Lighthouse measured it: on a shared
    machine the passes of one run differ mostly in these (bench/README.md)."""
    tbt = report["audits"]["total-blocking-time"].get("numericValue") or 0
    line = f"TBT {tbt:.0f} ms, benchmarkIndex {report['environment']['benchmarkIndex']:.0f}"
    return f"{line}, long tasks {long_tasks(report)}"


def long_tasks(report: dict) -> str:
    """The simulated long tasks in order, `ms@start (what)`: which of them made a pass
    worse than another (the page's own, a script, or "Unattributable", the commit)."""
    items = (report["audits"].get("long-tasks", {}).get("details") or {}).get("items", [])
    names = {"Unattributable": "commit"}
    parts = []
    for item in sorted(items, key=lambda task: task.get("startTime", 0)):
        url = item.get("url", "")
        what = names.get(url) or ("page" if "/tasks/" in url else url.rsplit("/", 1)[-1])
        parts.append(f"{item.get('duration', 0):.0f}@{item.get('startTime', 0):.0f} ({what})")
    return ", ".join(parts) or "none"


def flagged(report: dict) -> list[str]:
    """The audits that cost points, as one line each, worst first."""
    lines = []
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            score = audit.get("score")
            if ref["weight"] > 0 and score is not None and score < 1:
                value = audit.get("displayValue", "")
                lines.append((score, f"  {name}: {audit['title']} ({score:.2f}) {value}"))
    return [line for _, line in sorted(lines)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lighthouse", required=True, help="the lighthouse executable")
    parser.add_argument("--runs", type=int, default=2, help="passes; the best is kept")
    parser.add_argument("--keep", type=Path, help="copy the best JSON report here")
    parser.add_argument("--trace", type=Path, help="copy the best pass's trace here")
    args = parser.parse_args()

    procs = Processes(grace=20)
    workdir = Path(tempfile.mkdtemp(prefix="lighthouse-"))
    password = secrets.token_urlsafe(16)
    try:
        print(f"load average before: {os.getloadavg()[0]:.2f}", file=sys.stderr)
        port = start_servers(procs, workdir, password)
        best = best_pass(args, f"http://{HOST}:{port}{PAGE}", sign_in(port, password), workdir)
    except Failed as exc:
        print(f"lighthouse: could not run: {exc}", file=sys.stderr)
        return 2
    finally:
        procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    return summary(best, args.runs)


def best_pass(args: argparse.Namespace, url: str, cookies: dict, workdir: Path) -> dict:
    """Run the passes and keep the best; a pass Lighthouse itself fails (its NO_NAVSTART,
    say) is reported and skipped, and only when every pass fails is the run a failure."""
    reports, failures = [], []
    for run in range(1, args.runs + 1):
        out = workdir / f"report-{run}.json"
        try:
            report = run_lighthouse(
                args.lighthouse, url, cookies, out, workdir / "lh.log", bool(args.trace)
            )
        except Failed as exc:
            print(f"pass {run}: failed: {exc}", file=sys.stderr)
            failures.append(exc)
            continue
        reports.append((report, out))
        print(f"pass {run}: {scores(report)}, {blocking(report)}", file=sys.stderr)
    if not reports:
        raise failures[-1]
    best, out = max(reports, key=lambda kept: sum(scores(kept[0]).values()))
    if args.keep:
        args.keep.write_text(json.dumps(best))
    if args.trace:
        shutil.copy(out.with_name(out.stem + "-0.trace.json"), args.trace)
    return best


def summary(best: dict, runs: int) -> int:
    """Print the best pass's scores and what cost points; 0 when all three are 100."""
    print(f"Lighthouse {best['lighthouseVersion']}, mobile, {PAGE} (best of {runs}):")
    for name, score in scores(best).items():
        print(f"  {name}: {score}")
    lines = flagged(best)
    if lines:
        print("Audits that cost points:")
        print("\n".join(lines))
    return 0 if all(score == 100 for score in scores(best).values()) else 1


if __name__ == "__main__":
    sys.exit(main())
