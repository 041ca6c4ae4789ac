"""`manage.py sync_tasks`: keep the local copy of the tasks in step with the API.

Runs forever by default: the hot slices (yesterday, today, tomorrow) every
ACTIVITIES_SYNC_INTERVAL seconds, the whole window every ACTIVITIES_SYNC_COLD_INTERVAL.
`--once` reads the window once and exits; `--once --from D --to D` reads those days
instead (a backfill). Exit status: 0 when every slice was applied, 1 when any failed,
2 for bad arguments. One syncer runs at a time (mirror.lease); SIGTERM and Ctrl-C
finish the slice in progress and exit cleanly.
"""

from __future__ import annotations

import signal
import threading
import time
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mirror import sync
from mirror.freshness import window
from mirror.lease import Lease


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).", returncode=2) from None


class Command(BaseCommand):
    help = "Keep the local copy of the tasks in step with the API (see the README: Local copy)."
    # Before it starts, the production checks of the settings a syncer reads (the API's
    # address and key, dashboard/checks.py): an unsafe production environment still stops
    # it, naming what to set. Not the others: the URLs, templates, admin and security
    # headers are the web process's (gunicorn runs every check, and so do `migrate` and
    # `check --deploy`), and mirror.W001 says to start a syncer. Importing the URLconf for
    # them was about a fifth of a syncer's start.
    requires_system_checks = ["dashboard"]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="read the window once and exit")
        parser.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="with --once")
        parser.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="with --once")

    def handle(self, *args, once: bool, first: str | None, last: str | None, **options) -> None:
        spans = self._backfill(once, first, last)
        # With DEBUG on (the demo) Django quotes every query's parameters into its query
        # log: for a sync, thousands of rows' worth, a sixth of the run. The syncer shows
        # no debug pages, so this process runs without it.
        settings.DEBUG = False
        self.stopping = threading.Event()
        self._on_signals()
        self.lease = Lease()
        if not self._wait_for_lease():
            return
        try:
            if once:
                self._once(spans)
            else:
                self._forever()
        finally:
            self.lease.release()

    def _backfill(self, once: bool, first: str | None, last: str | None):
        """The days of `--from`/`--to`, None for the window; CommandError(2) when wrong."""
        if first is None and last is None:
            return None
        if not once or first is None or last is None:
            raise CommandError("--from and --to go together, with --once.", returncode=2)
        start, end = _day(first), _day(last)
        if start > end:
            raise CommandError("--from must not be after --to.", returncode=2)
        return sync.day_spans(start, end)

    def _on_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals can only be set up in the main thread (tests call from others)
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: self.stopping.set())

    def _wait_for_lease(self) -> bool:
        """Take the lease, waiting (and saying so) while another syncer holds it."""
        said = False
        while not self.lease.take():
            if not said:
                current = self.lease.current()
                holder = current.holder if current else "another syncer"
                self._say(f"sync: waiting: {holder} holds the lease; one syncer runs at a time")
                said = True
            if self.stopping.wait(min(settings.ACTIVITIES_SYNC_INTERVAL, 5)):
                self._say("sync: stopped while waiting for the lease")
                return False
        return True

    def _should_stop(self) -> bool:
        if self.stopping.is_set():
            return True
        if not self.lease.renew():
            self._say("sync: the lease was lost (expired and taken over); stopping this run")
            return True
        return False

    def _once(self, spans) -> None:
        kind = "once" if spans is None else "backfill"
        _, totals = sync.run(spans or sync.window_spans(), kind=kind, should_stop=self._should_stop)
        self._say(totals.line(kind))
        if totals.failed:
            message = f"{totals.failed} slices failed; their rows were kept."
            raise CommandError(message, returncode=1)

    def _forever(self) -> None:
        next_cold = 0.0
        while not self.stopping.is_set():
            cold = time.monotonic() >= next_cold
            kind = "cold" if cold else "hot"
            spans = sync.window_spans() if cold else sync.hot_spans()
            _, totals = sync.run(spans, kind=kind, should_stop=self._should_stop)
            pruned = sync.prune(window()[0])
            self._say(totals.line(kind) + (f", {pruned} older rows pruned" if pruned else ""))
            if cold and not totals.stopped:
                next_cold = time.monotonic() + settings.ACTIVITIES_SYNC_COLD_INTERVAL
            self.stopping.wait(settings.ACTIVITIES_SYNC_INTERVAL)
            if not self.stopping.is_set() and not self._wait_for_lease():
                return
        self._say("sync: stopped after finishing the slice in progress")

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
