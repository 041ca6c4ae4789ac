"""`manage.py sync_tasks` as a process: one syncer at a time, SIGTERM, exit status."""

from __future__ import annotations

import io
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.utils import timezone

from mirror.lease import Lease
from mirror.models import SyncLease
from sandbox import DEMO_KEY, make_server

ROOT = Path(__file__).resolve().parent.parent
# Every test: pytest-django makes the test database only when a test asks for one, and
# the processes' database is copied from it (`migrated`); a process test run on its own
# found no tables (or the checkout's own db.sqlite3).
pytestmark = pytest.mark.django_db


# --- The lease ----------------------------------------------------------------------------


def test_the_lease_lets_one_holder_in_until_it_expires_or_is_released(settings):
    settings.ACTIVITIES_SYNC_INTERVAL = 60
    now = timezone.now()
    first, second = Lease("first"), Lease("second")

    assert first.take(now)
    assert not second.take(now)
    assert not second.take(now + timedelta(seconds=179))
    assert first.take(now + timedelta(seconds=100))  # renewed: 3 intervals from then
    assert not second.take(now + timedelta(seconds=200))
    assert second.take(now + timedelta(seconds=281))  # expired: taken over
    assert not first.renew(now + timedelta(seconds=282))
    second.release()
    assert first.take(now + timedelta(seconds=283))
    assert SyncLease.objects.get().holder == "first"


# --- The checks before it starts -------------------------------------------------------------


def test_in_production_it_checks_the_api_settings_first_and_not_the_web_pages(settings):
    """What `manage.py sync_tasks` runs before it starts (its processes below run the same
    in a DEBUG environment, where the production checks pass)."""
    settings.DEBUG = False
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    settings.ALLOWED_HOSTS = ["tasks.example.com"]
    settings.ACTIVITIES_API_BASE_URL = settings.SANDBOX_URL  # not set: the sandbox's
    settings.ACTIVITIES_API_KEY = settings.SANDBOX_KEY
    bad_day = ("--once", "--from", "2026-13-01", "--to", "2026-01-01")

    with pytest.raises(SystemCheckError, match="ACTIVITIES_API_BASE_URL"):
        call_command("sync_tasks", *bad_day, skip_checks=False)

    # A safe environment passes, and the warning that no sync has finished (shown by the
    # other commands) is not shown to the syncer that is starting to end it.
    settings.ACTIVITIES_API_BASE_URL = "https://api.example.com"
    settings.ACTIVITIES_API_KEY = "a-real-key"
    assert "mirror.W001" in [m.id for m in run_checks()]
    warnings = io.StringIO()
    with pytest.raises(CommandError, match="is not a date"):  # checked, then started
        call_command("sync_tasks", *bad_day, skip_checks=False, stderr=warnings)
    assert warnings.getvalue() == ""


# --- Processes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def migrated(tmp_path_factory, django_db_setup, django_db_blocker) -> Path:
    """A migrated SQLite file that processes share (the test database is in memory).

    On SQLite it is a copy of this process's test database, which pytest-django has
    migrated already (a `manage.py migrate` process costs about 2 CPU-s); elsewhere
    (PostgreSQL) a process migrates it.
    """
    from django.db import connection

    path = tmp_path_factory.mktemp("sync") / "template.sqlite3"
    if connection.vendor == "sqlite":
        with django_db_blocker.unblock():
            connection.ensure_connection()
            copy = sqlite3.connect(path)
            try:
                connection.connection.backup(copy)
            finally:
                copy.close()
        return path
    done = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=process_env(path, "http://127.0.0.1:9"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return path


def process_env(database: Path, api_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACTIVITIES_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        DJANGO_DEBUG="true",
        DATABASE_URL=f"sqlite:///{database}",
        ACTIVITIES_API_BASE_URL=api_url,
        ACTIVITIES_API_KEY=DEMO_KEY,
        ACTIVITIES_API_RETRIES="0",  # a refused connection fails at once
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


@pytest.fixture
def database(migrated, tmp_path) -> Path:
    path = tmp_path / "db.sqlite3"
    shutil.copy(migrated, path)
    return path


@pytest.fixture
def slow_sandbox():
    """A sandbox answering after 20 ms, so a run lasts long enough to be interrupted."""
    server = make_server(port=0, latency=0.02).start()
    yield server
    server.stop()


class Syncer:
    """`manage.py sync_tasks ...` in a process of its own, its output read as it comes."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
            [sys.executable, "manage.py", "sync_tasks", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60, *, after: int = 0) -> str:
        """The first line holding `text` among those printed after the first `after`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for line in self.lines[after:] if text in line), None)
            if found is not None:
                return found
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not printed; output:\n" + "\n".join(self.lines))

    def stop(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code


def run_once(database: Path, api_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "sync_tasks", *args],
        cwd=ROOT,
        env=process_env(database, api_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_exit_status_is_0_when_applied_1_when_a_slice_failed_2_for_bad_arguments(
    database, slow_sandbox
):
    day = timezone.localdate().isoformat()
    ok = run_once(database, slow_sandbox.url, "--once", "--from", day, "--to", day)
    assert ok.returncode == 0, ok.stderr
    assert "1 slices read, 1 applied, 0 failed" in ok.stdout

    failed = run_once(database, "http://127.0.0.1:9", "--once", "--from", day, "--to", day)
    assert failed.returncode == 1
    assert "1 slices read, 0 applied, 1 failed" in failed.stdout

    bad = run_once(database, slow_sandbox.url, "--once", "--from", "2026-13-01", "--to", day)
    assert bad.returncode == 2
    assert "is not a date" in bad.stderr


def applied_slices(database: Path) -> int:
    """How many slices the syncer process has applied so far (0 while it is locked)."""
    query = "SELECT count(*) FROM mirror_syncslice WHERE last_applied_at IS NOT NULL"
    db = sqlite3.connect(database, timeout=0.1)
    try:
        return db.execute(query).fetchone()[0]
    except sqlite3.OperationalError:  # the syncer holds the write lock just now
        return 0
    finally:
        db.close()


def test_sigterm_finishes_the_slice_in_progress_and_exits_cleanly(database, slow_sandbox):
    syncer = Syncer([], process_env(database, slow_sandbox.url))
    try:
        # The first run reads the whole window (50 slices, a second or more at 20 ms).
        # A request alone is not enough: the syncer reads ahead, and a SIGTERM before the
        # first slice is applied rightly stops it with none. Wait for one applied slice.
        deadline = time.monotonic() + 60
        while not applied_slices(database) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert applied_slices(database), "the syncer never applied a slice"
    finally:
        code = syncer.stop()

    assert code == 0
    syncer.wait_for("sync: stopped after finishing the slice in progress")
    assert "(stopped)" in syncer.wait_for("sync cold:")
    with sqlite3.connect(database) as db:
        slices = db.execute(
            "SELECT task_count, last_applied_at IS NOT NULL, last_error FROM mirror_syncslice"
        ).fetchall()
        finished = db.execute("SELECT finished_at FROM mirror_syncrun").fetchall()
        rows = db.execute("SELECT count(*) FROM mirror_taskrecord").fetchone()[0]
    assert 0 < len(slices) < 50
    assert all(applied and error == "" for _, applied, error in slices)
    assert rows == sum(count for count, _, _ in slices)  # no slice half-applied
    assert [f is not None for (f,) in finished] == [True]


def test_a_second_syncer_waits_for_the_first_and_says_so(database, slow_sandbox):
    # A window of the hot days alone: the first syncer's cold run is 3 slices, not 50
    # (the runs are not what this test is about; about 0.6 CPU-s and a second less).
    env = process_env(
        database,
        slow_sandbox.url,
        ACTIVITIES_SYNC_INTERVAL="1",
        ACTIVITIES_SYNC_DAYS_BACK="1",
        ACTIVITIES_SYNC_DAYS_AHEAD="1",
    )
    first = Syncer([], env)
    try:
        first.wait_for("sync cold:")
        second = Syncer([], env)
        try:
            waiting = second.wait_for("sync: waiting:")
            requests, printed = len(slow_sandbox.request_log), len(first.lines)
            # Two runs ending after that point: the second began while the other waited.
            first.wait_for("sync hot:", after=printed)
            first.wait_for("sync hot:", after=len(first.lines))
        finally:
            assert second.stop() == 0
    finally:
        assert first.stop() == 0

    assert "holds the lease; one syncer runs at a time" in waiting
    assert not any(line.startswith("sync cold:") for line in second.lines)
    assert len(slow_sandbox.request_log) > requests  # the first kept syncing meanwhile
