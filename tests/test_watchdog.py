"""The API calls' watchdog (activities/api/resilience.py): one thread for every call.

It cuts a call's connection when the call's budget runs out, which the fault tests
(test_resilience.py, test_sandbox_faults.py) prove against dripping answers; here,
that the calls share it, and that it cuts only calls that are still running.
"""

from __future__ import annotations

import socket
import threading

from activities import api as client
from activities.api import TaskQuery, resilience

from .helpers import wait_until


def test_many_calls_start_one_watchdog_thread_between_them(api, monkeypatch):
    started = []
    start = threading.Thread.start

    def counting(thread):
        if "process_request_thread" not in thread.name:  # the sandbox's, per connection
            started.append(thread.name)
        start(thread)

    monkeypatch.setattr(resilience, "_watchdog", resilience._Watchdog())
    monkeypatch.setattr(threading.Thread, "start", counting)
    for page in range(1, 31):
        assert client.list_tasks(TaskQuery(page=page, per_page=1)).tasks
    assert started == ["activities-api-watchdog"]


def test_a_call_past_its_budget_has_its_connection_cut():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        call = resilience.Call(budget=0.0, attempt_timeout=1.0)
        with call:
            call.watch(ours)
            assert wait_until(lambda: call.expired)
            assert ours.recv(1) == b""  # shut down: a blocked read would end at once


def test_a_call_that_ended_in_time_is_left_alone():
    watchdog = resilience._watchdog
    call = resilience.Call(budget=0.0, attempt_timeout=1.0)
    # The watchdog waits for its lock: the call ends before its turn comes.
    with watchdog._wakeup, call:
        pass
    assert wait_until(lambda: all(due[2] is not call for due in watchdog._due))
    assert not call.expired


def test_a_watchdog_whose_thread_has_died_starts_another():
    watchdog = resilience._Watchdog()
    dead = threading.Thread(target=lambda: None)
    dead.start()
    dead.join()
    watchdog._thread = dead
    call = resilience.Call(budget=0.0, attempt_timeout=1.0)
    watchdog.add(call)
    assert watchdog._thread is not dead
    assert wait_until(lambda: call.expired)  # the new thread enforces the budget
