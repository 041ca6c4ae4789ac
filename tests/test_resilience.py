"""A slow, flaky or broken API, produced for real by the sandbox's faults."""

from __future__ import annotations

import logging
import time

import pytest

from activities import api as client
from activities.api import TaskQuery
from sandbox import DEMO_KEY

from .helpers import FakeClock, wait_until

URL = "/tasks/"


@pytest.fixture
def faulty(api, settings):
    """The sandbox with quick limits: 0.5 s an attempt, 1.5 s a call, 2 retries."""
    settings.ACTIVITIES_API_TIMEOUT = 0.5
    settings.ACTIVITIES_API_BUDGET = 1.5
    settings.ACTIVITIES_API_RETRIES = 2
    settings.ACTIVITIES_RETRY_AFTER_MAX = 1
    settings.ACTIVITIES_BREAKER_THRESHOLD = 50
    yield api
    api.clear_fault()


def timed_get(client_, *args, **kwargs):
    started = time.monotonic()
    response = client_.get(*args, **kwargs)
    return response, time.monotonic() - started


@pytest.mark.parametrize(
    ("fault", "status", "message"),
    [
        ("500", 502, "has a problem of its own (HTTP 500)"),
        ("502", 502, "has a problem of its own (HTTP 502)"),
        ("503", 502, "has a problem of its own (HTTP 503)"),
        ("504", 502, "has a problem of its own (HTTP 504)"),
        ("429", 503, "is busy right now (too many requests)"),
        ("not-json", 502, "could not read"),
        ("wrong-shape", 502, "could not read"),
        ("html", 502, "has a problem of its own (HTTP 502)"),
        ("truncated", 502, "could not read"),
        ("reset", 503, "could not reach the task service"),
        ("hang", 504, "did not answer within 0.5 seconds"),
    ],
)
def test_each_fault_shows_a_clear_message_within_the_budget(
    signed_in, faulty, settings, fault, status, message
):
    settings.DEBUG = True
    if fault != "hang":
        # Only the hang is about the 0.5 s attempt: on a loaded CI the others' answers
        # have taken longer than that, and turned a 502 into a 504.
        settings.ACTIVITIES_API_TIMEOUT = 5.0
        settings.ACTIVITIES_API_BUDGET = 8.0
    # A 429 asks for a second's wait before each retry; honouring it is
    # test_retry_after_is_honoured's, so here it asks for none.
    faulty.set_fault(fault, retry_after=0 if fault == "429" else None)
    response, took = timed_get(signed_in, URL, {"channel": "SALESMAN"})

    html = response.content.decode()
    assert response.status_code == status
    assert message in html
    # The faults last up to 60 s; the bound is generous because a loaded CI took 3.95 s.
    assert took < 10
    assert "Traceback" not in html and DEMO_KEY not in html

    faulty.clear_fault()
    recovered = signed_in.get(URL, {"channel": "SALESMAN"})
    assert recovered.status_code == 200
    assert "Updated just now" in recovered.content.decode()


def test_a_dripping_answer_ends_at_the_budget_as_a_504_and_counts_as_an_outage(
    signed_in, faulty, settings
):
    settings.ACTIVITIES_BREAKER_THRESHOLD = 1
    signed_in.get(URL, {"range": "today"})  # compiles the templates: time only the call
    # Each byte comes well within the 0.5 s read timeout: only the budget can end it.
    faulty.set_fault("drip", delay=0.1)
    response, took = timed_get(signed_in, URL, {"range": "overdue"})  # overdue: one call

    assert response.status_code == 504
    assert "did not answer within 1.5 seconds" in response.content.decode()
    assert took < settings.ACTIVITIES_API_BUDGET + 1
    assert client.circuit_open()


def test_a_dripping_answer_is_a_timeout_for_every_call_within_its_budget(faulty, settings):
    settings.ACTIVITIES_API_TIMEOUT = 5.0
    settings.ACTIVITIES_API_BUDGET = 1.0
    faulty.set_fault("drip", delay=0.05)
    started = time.monotonic()
    with pytest.raises(client.ApiTimeout) as caught:
        client.list_tasks(TaskQuery())

    assert time.monotonic() - started < settings.ACTIVITIES_API_BUDGET + 1
    assert "budget of 1 s spent" in caught.value.detail
    faulty.clear_fault()
    assert client.list_tasks(TaskQuery()).meta.total > 0  # the next call is unharmed


def test_passing_failures_are_retried_and_the_page_is_whole(signed_in, faulty, caplog):
    faulty.set_fault("503", times=2)
    with caplog.at_level(logging.INFO, logger="activities"):
        response = signed_in.get(URL, {"range": "overdue"})  # overdue: no tab counts

    assert response.status_code == 200
    assert [e["fault"] for e in faulty.request_log] == ["503", "503", None]
    assert "status=200 attempts=3" in caplog.text


@pytest.mark.parametrize("fault", ["reset", "502", "504"])
def test_connection_resets_and_gateway_errors_are_retried(faulty, fault):
    faulty.set_fault(fault, times=1)
    page = client.list_tasks(TaskQuery())
    assert len(page.tasks) == 20
    assert len(faulty.request_log) == 2


def test_a_hang_is_not_retried(faulty):
    faulty.set_fault("hang", delay=5)
    started = time.monotonic()
    with pytest.raises(client.ApiTimeout):
        client.list_tasks(TaskQuery())
    assert time.monotonic() - started < 3  # not the 5 s hang
    assert len(faulty.request_log) == 1  # and no retry


def test_retry_after_is_honoured(faulty, settings):
    settings.ACTIVITIES_API_BUDGET = 3
    faulty.set_fault("429", times=1, retry_after=1)
    started = time.monotonic()
    client.list_tasks(TaskQuery())
    assert 1.0 <= time.monotonic() - started < settings.ACTIVITIES_API_BUDGET
    assert len(faulty.request_log) == 2


def test_a_retry_after_past_the_cap_waits_only_the_cap(faulty, settings):
    settings.ACTIVITIES_RETRY_AFTER_MAX = 0
    faulty.set_fault("429", times=1, retry_after=60)
    started = time.monotonic()
    client.list_tasks(TaskQuery())
    assert time.monotonic() - started < 5  # not the 60 s asked for
    assert len(faulty.request_log) == 2


def test_no_retry_is_started_that_the_budget_cannot_finish(faulty, settings):
    settings.ACTIVITIES_API_TIMEOUT = 1.0  # an attempt
    settings.ACTIVITIES_API_BUDGET = 2.0  # the whole call
    settings.ACTIVITIES_API_RETRIES = 10
    faulty.set_fault("503", delay=0.5)  # each attempt takes 0.5 s and fails
    started = time.monotonic()
    with pytest.raises(client.ApiServerError):  # refused, not cut off (ApiTimeout)
        client.list_tasks(TaskQuery())
    took = time.monotonic() - started
    assert took < settings.ACTIVITIES_API_BUDGET + 1
    # A retry only while its backoff and a whole 1 s attempt still fit in the 2 s. The
    # first attempt ends by 1 s (a busy machine may add 0.5 s) and is retried at once;
    # after the second, at 1 s or later, the backoff and an attempt no longer fit.
    assert len(faulty.request_log) == 2


def test_a_slow_api_within_the_timeout_is_just_slow(signed_in, faulty):
    faulty.set_fault("slow", delay=0.2)
    response, took = timed_get(signed_in, URL)
    assert response.status_code == 200
    assert took >= 0.2


def test_with_the_api_hanging_a_page_shows_its_older_copy_in_time(signed_in, faulty, settings):
    signed_in.get(URL, {"status": "PENDING"})
    settings.ACTIVITIES_CACHE_TTL = 0  # the copy is old now
    faulty.set_fault("hang", delay=5)

    response, took = timed_get(signed_in, URL, {"status": "PENDING"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The task service is not answering; showing data from" in html
    assert took < settings.ACTIVITIES_API_BUDGET + 1  # not the 5 s hang


def test_with_the_api_returning_503_a_page_shows_its_older_copy(signed_in, faulty, settings):
    signed_in.get(URL)
    settings.ACTIVITIES_CACHE_TTL = 0
    faulty.set_fault("503")
    response = signed_in.get(URL)
    assert response.status_code == 200
    assert "showing data from" in response.content.decode()


# --- The circuit breaker ------------------------------------------------------------


def breaker_on(clock, *, threshold: int, cooldown: float) -> client.CircuitBreaker:
    """Give the pages' client a breaker that reads `clock`: the cool-down passes at once."""
    breaker = client.CircuitBreaker(threshold=threshold, cooldown=cooldown, clock=clock)
    client.get_client("pages").breaker = breaker
    return breaker


def test_the_circuit_opens_fails_fast_and_closes_after_the_cool_down(signed_in, faulty, settings):
    settings.ACTIVITIES_API_RETRIES = 0
    clock = FakeClock()
    breaker = breaker_on(clock, threshold=3, cooldown=30)
    faulty.set_fault("hang", delay=5)
    # One page view makes five calls (the list and four tab counts), all timing out.
    assert signed_in.get(URL).status_code == 504
    assert len(faulty.request_log) >= 3

    calls = len(faulty.request_log)
    # The page answers when its list call times out; the tab counts' calls time out a
    # moment later in the background. Each of them counts once it has.
    assert wait_until(lambda: breaker.failures >= calls)
    response, took = timed_get(signed_in, URL, {"page": "2"})
    assert response.status_code == 503
    assert "giving it a short rest" in response.content.decode()
    # Generous for a loaded CI: the request log shows that nothing was tried.
    assert took < 2
    assert len(faulty.request_log) == calls  # not even tried

    faulty.clear_fault()
    clock.advance(30)
    assert signed_in.get(URL, {"range": "overdue"}).status_code == 200  # the trial call
    assert signed_in.get(URL, {"page": "3"}).status_code == 200
    assert len(faulty.request_log) == calls + 6


def test_a_failed_trial_call_opens_the_circuit_again(faulty, settings):
    settings.ACTIVITIES_API_RETRIES = 0
    clock = FakeClock()
    breaker_on(clock, threshold=1, cooldown=30)
    faulty.set_fault("500")
    with pytest.raises(client.ApiServerError):
        client.list_tasks(TaskQuery())
    with pytest.raises(client.ApiCircuitOpen):
        client.list_tasks(TaskQuery())
    clock.advance(30)
    with pytest.raises(client.ApiServerError):  # the trial call
        client.list_tasks(TaskQuery())
    with pytest.raises(client.ApiCircuitOpen):
        client.list_tasks(TaskQuery())
    assert len(faulty.request_log) == 2


def test_wrong_requests_do_not_open_the_circuit(faulty, settings):
    settings.ACTIVITIES_BREAKER_THRESHOLD = 1
    settings.ACTIVITIES_API_KEY = "wrong-key-123456"
    for _ in range(3):
        with pytest.raises(client.ApiUnauthorized):
            client.list_tasks(TaskQuery())
    assert len(faulty.request_log) == 3
