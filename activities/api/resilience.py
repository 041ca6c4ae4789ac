"""How a call to the task service stays within its time budget: retries, a deadline, a breaker.

- `Call` is what one call may spend. The process's watchdog cuts the connection when
  the budget runs out, so a slowly dripping answer (headers or body) cannot hold a
  page longer.
- `BudgetRetry` retries only when the retry can still finish within the budget.
- `CircuitBreaker` fails calls at once while the API keeps failing.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar

from django.utils.translation import ngettext
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import MaxRetryError, ReadTimeoutError, ResponseError
from urllib3.util.retry import Retry

from .errors import ApiCircuitOpen


class Call:
    """What one call may spend and has spent, under the watchdog that enforces its budget.

    The connection serving the call registers its socket (`watch`); when the budget
    runs out the socket is shut down, which ends any read blocked on it at once. Read
    timeouts alone cannot do this: they apply to each socket read, and an answer sent
    one byte at a time never trips them.
    """

    def __init__(self, *, budget: float, attempt_timeout: float) -> None:
        self.deadline = time.monotonic() + budget
        self.attempt_timeout = attempt_timeout
        self.attempts = 1
        self.expired = False
        self.finished = False
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None

    def __enter__(self) -> Call:
        _watchdog.add(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self.finished = True  # the watchdog drops it
            self._sock = None  # back in the pool: no longer this call's to cut

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                _cut(sock)
            else:
                self._sock = sock

    def _expire(self) -> None:
        with self._lock:
            if self.finished:
                return
            self.expired = True
            if self._sock is not None:
                _cut(self._sock)


class _Watchdog:
    """One thread per process that expires the calls whose deadline has passed.

    It replaces a `threading.Timer` per call: a thread started and stopped for every
    API call cost about 170 µs of CPU (bench/README.md, issue 14), and an export or a
    sync makes hundreds. The calls wait in a heap by deadline; the thread sleeps until
    the earliest and is woken only when a call's deadline comes before all others'.
    Finished calls are dropped when their deadline comes up, not searched for.
    """

    def __init__(self) -> None:
        self._wakeup = threading.Condition()
        self._due: list[tuple[float, int, Call]] = []
        self._order = itertools.count()  # ties in deadline: first in, first out
        self._thread: threading.Thread | None = None

    def add(self, call: Call) -> None:
        with self._wakeup:
            heapq.heappush(self._due, (call.deadline, next(self._order), call))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="activities-api-watchdog", daemon=True
                )
                self._thread.start()
            elif self._due[0][2] is call:
                self._wakeup.notify()

    def _run(self) -> None:
        with self._wakeup:
            while True:
                while self._due and self._due[0][2].finished:
                    heapq.heappop(self._due)
                if not self._due:
                    self._wakeup.wait()
                    continue
                wait = self._due[0][0] - time.monotonic()
                if wait > 0:
                    self._wakeup.wait(wait)
                    continue
                heapq.heappop(self._due)[2]._expire()


_watchdog = _Watchdog()


def _new_watchdog() -> None:
    # A forked child (a gunicorn worker) has no copy of the parent's thread, and its
    # lock may have been copied held: it starts its own on its first call.
    global _watchdog
    _watchdog = _Watchdog()


os.register_at_fork(after_in_child=_new_watchdog)


def _cut(sock: socket.socket) -> None:
    # socket.socket's own shutdown, also for TLS sockets: it only wakes the reader,
    # leaving the TLS object for the reading thread to fail on.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


current_call: ContextVar[Call | None] = ContextVar("activities_call", default=None)


class _WatchedHTTPConnection(HTTPConnection):
    def getresponse(self, *args, **kwargs):
        call = current_call.get()
        if call is not None and self.sock is not None:
            call.watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    getresponse = _WatchedHTTPConnection.getresponse


class WatchedHTTPPool(HTTPConnectionPool):
    """A pool whose connections put themselves under the current call's watchdog."""

    ConnectionCls = _WatchedHTTPConnection


class WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class BudgetRetry(Retry):
    """urllib3's Retry, refusing any retry that could not finish within the budget.

    A retry is made only when its wait (backoff with jitter, or Retry-After) plus one
    whole attempt still fits before the call's deadline; otherwise the call ends as
    urllib3 ends it when retries run out. Read timeouts are not retried: an API that
    hangs once will likely hang again, and the supervisor is waiting.
    """

    def increment(self, method=None, url=None, response=None, error=None, _pool=None,
                  _stacktrace=None):  # fmt: skip
        if isinstance(error, ReadTimeoutError):
            raise error
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        call = current_call.get()
        if call is not None:
            wait = new.get_backoff_time()
            if response is not None and self.respect_retry_after_header:
                wait = max(wait, new.get_retry_after(response) or 0)
            if call.expired or time.monotonic() + wait + call.attempt_timeout > call.deadline:
                status = getattr(response, "status", None)
                raise MaxRetryError(_pool, url, error or ResponseError(f"HTTP {status}"))
            call.attempts += 1
        return new


def caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether `kind` is anywhere in the chain of wrappers requests and urllib3 use."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        if isinstance(item, kind):
            return True
        seen.add(id(item))
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
    return False


class CircuitBreaker:
    """Fails calls at once after `threshold` consecutive failures, for `cooldown` s.

    After the cool-down one call is let through; its success closes the circuit, its
    failure opens it again. Shared by every thread of the process. `clock` is for tests.
    """

    def __init__(
        self, *, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    def before_call(self) -> None:
        """Raise `ApiCircuitOpen` when the call should not be tried."""
        with self._lock:
            if self._opened_at is None:
                return
            waited = self._clock() - self._opened_at
            if waited >= self.cooldown and not self._trial_running:
                self._trial_running = True  # this call is the trial
                return
            retry_in = max(1, round(self.cooldown - waited))
        raise ApiCircuitOpen(
            ngettext(
                "The task service has not been answering, so the dashboard is giving it a "
                "short rest. It will try again in about %(seconds)d second.",
                "The task service has not been answering, so the dashboard is giving it a "
                "short rest. It will try again in about %(seconds)d seconds.",
                retry_in,
            )
            % {"seconds": retry_in},
            detail=f"circuit open, retry in {retry_in} s",
        )

    def record(self, *, ok: bool) -> None:
        with self._lock:
            self._trial_running = False
            if ok:
                self._failures = 0
                self._opened_at = None
                return
            self._failures += 1
            if self._opened_at is not None or self._failures >= self.threshold:
                self._opened_at = self._clock()

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._opened_at is not None

    @property
    def failures(self) -> int:
        """Consecutive failures recorded so far (0 after a success)."""
        with self._lock:
            return self._failures
