"""Two dashboard instances on one PostgreSQL and one Redis: what one does, the other sees.

    ./scripts/scaleout                 installs and starts PostgreSQL and Redis, runs this
    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python scripts/scaleout.py

It starts the sandbox API and two gunicorn instances (gunicorn.conf.py, two workers
each) on free loopback ports, over plain HTTP (DJANGO_HTTPS=false), migrates once and
creates a supervisor. Then, as one browser whose requests land on A and B in turn (as a
round-robin proxy would send them):

1. Session: it signs in through A; B shows the task list to the same cookie.
2. Saved view: it saves a view through A; B lists it.
3. Cache: it opens that view through A, which calls the API; then through B, which
   answers from the shared cache: the sandbox counts no new request (/_sandbox/stats).
4. Syncer: each instance also runs `manage.py sync_tasks`; one syncs, the other waits
   for the lease (mirror/lease.py) and says so.

It prints a short report and exits 0 only when all four are shared (1 when one is
not, 2 when it could not run). Every process it starts is stopped before it exits;
every request goes to 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as python scripts/scaleout.py: only scripts/ is on the path
from bench.procs import (  # noqa: E402
    Failed,
    Processes,
    free_port,
    manage,
    request,
    wait_for,
)

HOST = "127.0.0.1"
USERNAME = "scaleout"
VIEW_QUERY = "status=PENDING&channel=SALESMAN&per_page=50"

CREATE_SUPERVISOR = """
import os
from django.contrib.auth.models import Group, User
from activities.access import GROUP
user, _ = User.objects.get_or_create(username=os.environ["SCALEOUT_USER"])
user.set_password(os.environ["SCALEOUT_PASSWORD"])
user.save()
user.groups.add(Group.objects.get(name=GROUP))
user.saved_views.all().delete()
"""


class Browser:
    """One browser's cookies, sent to every port of 127.0.0.1 as a browser would."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(
        self, port: int, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        return request(port, method, path, self.cookies, form)

    def csrf_token(self, port: int, path: str) -> str:
        status, _, html = self.request(port, "GET", path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if status != 200 or not match:
            raise Failed(f"GET {path} on port {port} gave {status} without a form")
        return match.group(1)


def sandbox_requests(port: int) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", "/_sandbox/stats")
        return json.loads(connection.getresponse().read())["requests"]
    finally:
        connection.close()


def check(a: int, b: int, sandbox: int, password: str) -> list[tuple[str, bool, str]]:
    """The three checks, as (what, shared, how it went)."""
    browser = Browser()
    results = []

    # 1. Session: signed in through A, recognised by B.
    token = browser.csrf_token(a, "/accounts/login/")
    form = {"csrfmiddlewaretoken": token, "username": USERNAME, "password": password}
    status, headers, _ = browser.request(a, "POST", "/accounts/login/", form)
    if status != 302 or "sessionid" not in browser.cookies:
        raise Failed(f"signing in through A gave {status}, not a redirect with a session")
    status, headers, html = browser.request(b, "GET", "/tasks/")
    shared = status == 200 and USERNAME in html
    how = f"signed in through A; B answered /tasks/ with {status}" + (
        f" for {USERNAME}" if shared else f" ({headers.get('Location', 'no page')})"
    )
    results.append(("session", shared, how))
    if not shared:
        return results

    # 2. Saved view: saved through A, listed by B.
    name = f"Scale-out {secrets.token_hex(3)}"
    token = browser.csrf_token(a, "/views/")
    form = {"csrfmiddlewaretoken": token, "name": name, "query": VIEW_QUERY}
    status, headers, _ = browser.request(a, "POST", "/views/save", form)
    if status != 302:
        raise Failed(f"saving a view through A gave {status}")
    view_url = headers["Location"]
    status, _, html = browser.request(b, "GET", "/views/")
    shared = status == 200 and name in html
    results.append(("saved view", shared, f'saved "{name}" through A; B lists it: {shared}'))

    # 3. Cache: the view opened through A calls the API; through B it does not.
    path = urlsplit(view_url).path + "?" + urlsplit(view_url).query
    before = sandbox_requests(sandbox)
    status_a, _, _ = browser.request(a, "GET", path)
    after_a = sandbox_requests(sandbox)
    status_b, _, html_b = browser.request(b, "GET", path)
    after_b = sandbox_requests(sandbox)
    calls_a, calls_b = after_a - before, after_b - after_a
    shared = status_a == status_b == 200 and calls_a > 0 and calls_b == 0 and "<tbody" in html_b
    how = (
        f"{path} through A: {status_a}, {calls_a} API calls; "
        f"then through B: {status_b}, {calls_b} API calls"
    )
    results.append(("cache", shared, how))
    return results


def check_syncers(logs: list[Path], timeout: float = 90) -> tuple[str, bool, str]:
    """Both instances run a syncer: one syncs, the other waits for the lease."""
    deadline = time.monotonic() + timeout
    synced, waiting = [], []
    while time.monotonic() < deadline:
        texts = [log.read_text(errors="replace") if log.exists() else "" for log in logs]
        synced = [i for i, text in enumerate(texts) if "sync cold:" in text]
        waiting = [i for i, text in enumerate(texts) if "sync: waiting:" in text]
        if synced and waiting:
            break
        time.sleep(0.5)
    names = "AB"
    shared = len(synced) == 1 and waiting == [1 - synced[0]]
    how = (
        f"syncing: {', '.join(names[i] for i in synced) or 'none'}; "
        f"waiting for the lease: {', '.join(names[i] for i in waiting) or 'none'}"
    )
    return ("syncer", shared, how)


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "") or os.environ.get("CACHE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not redis_url:
        print(
            "scripts/scaleout.py needs DATABASE_URL=postgres://... and REDIS_URL=redis://...;"
            " ./scripts/scaleout starts both.",
            file=sys.stderr,
        )
        return 2

    work = Path(tempfile.mkdtemp(prefix="scaleout-"))
    password = secrets.token_urlsafe(16)
    sandbox_port, port_a, port_b = free_port(), free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ACTIVITIES_", "DJANGO_", "GUNICORN_")) and key != "CACHE_URL"
    }
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DJANGO_DEBUG="false",
        DJANGO_HTTPS="false",  # plain HTTP on loopback; production runs behind TLS
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),  # one key for both instances
        DJANGO_STATIC_ROOT=str(work / "static"),
        ACTIVITIES_API_BASE_URL=f"http://{HOST}:{sandbox_port}",
        ACTIVITIES_API_KEY="sandbox-demo-key",
        PYTHONUNBUFFERED="1",
    )
    # The syncers: quiet (no line per API call) and, for this check, a short interval.
    sync_env = {**env, "LOG_LEVEL": "WARNING", "ACTIVITIES_SYNC_INTERVAL": "5"}
    procs = Processes(grace=20)
    try:
        sandbox_log = work / "sandbox.log"
        sandbox = procs.start(
            [sys.executable, "-m", "sandbox", "--port", str(sandbox_port)], env, sandbox_log
        )
        manage(env, "collectstatic", "--noinput")
        manage(env, "migrate", "--noinput")
        manage(
            {**env, "SCALEOUT_USER": USERNAME, "SCALEOUT_PASSWORD": password},
            "shell",
            "-c",
            CREATE_SUPERVISOR,
        )
        instances = {}
        for name, port in (("A", port_a), ("B", port_b)):
            command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
            command += ["--bind", f"{HOST}:{port}", "--workers", "2", "--threads", "4"]
            log = work / f"gunicorn-{name}.log"
            instances[name] = (procs.start(command, env, log), port, log)
        wait_for(sandbox_port, "/_sandbox/stats", sandbox, sandbox_log)
        for process, port, log in instances.values():
            wait_for(port, "/healthz", process, log)

        results = check(port_a, port_b, sandbox_port, password)
        # Started after the cache check, which counts the sandbox's requests.
        sync_logs = [work / f"sync-{name}.log" for name in "AB"]
        for log in sync_logs:
            procs.start([sys.executable, "manage.py", "sync_tasks"], sync_env, log)
        results.append(check_syncers(sync_logs))
    except Failed as exc:
        print(f"Scale-out check could not run: {exc}\nLogs kept in {work}", file=sys.stderr)
        return 2
    finally:
        procs.stop_all()

    db = urlsplit(database_url)
    print(
        f"Scale-out check: instances A on {HOST}:{port_a} and B on {HOST}:{port_b} "
        f"(gunicorn, 2 workers each), PostgreSQL on {db.hostname}:{db.port}, "
        f"Redis at {urlsplit(redis_url).netloc}"
    )
    for what, shared, how in results:
        print(f"  {what:<11} {'shared' if shared else 'NOT SHARED':<11} {how}")
    passed = sum(1 for _, shared, _ in results if shared)
    print(f"{passed} of {len(results)} shared")
    if passed == len(results) == 4:
        shutil.rmtree(work, ignore_errors=True)
        return 0
    print(f"Logs kept in {work}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
