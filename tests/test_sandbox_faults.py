"""The sandbox's switchable faults, as a real HTTP client sees them.

No Django here: plain pytest against the standard-library sandbox, over real sockets.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from sandbox import CONTROL_PATH, DEMO_KEY, FAULT_PATH, FAULTS, TASKS_PATH, make_server

from .helpers import Reply, call, wait_until

ROOT = Path(__file__).resolve().parents[1]
NGINX_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    b"</h1></center><hr><center>nginx</center></body></html>"
)
FORM = "application/x-www-form-urlencoded"


def control(server, method="POST", *, form=None, data=None, query=None, headers=None) -> Reply:
    """Call the control endpoint, without an API key, with a form, JSON or query string."""
    path = f"{FAULT_PATH}?{urlencode(query)}" if query else FAULT_PATH
    body, sent = None, dict(headers or {})
    if form is not None:
        body, sent["Content-Type"] = urlencode(form), FORM
    elif data is not None:
        body, sent["Content-Type"] = json.dumps(data), "application/json"
    return call(server, path, method=method, key=None, body=body, headers=sent)


# tests/conftest.py's autouse `_fresh_state` empties Django's cache and the sandbox's
# request log before each test; nothing here uses either, so it is a no-op in this module.
@pytest.fixture
def _fresh_state():
    pass


@pytest.fixture(scope="module")
def server():
    server = make_server(port=0, tasks=[]).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _healthy(server):
    server.clear_fault()
    server.request_log.clear()
    yield
    server.clear_fault()
    server.latency = 0.0


def test_the_fault_names_are_the_documented_ones():
    assert list(FAULTS) == [
        "slow",
        "429",
        "500",
        "502",
        "503",
        "504",
        "not-json",
        "wrong-shape",
        "html",
        "truncated",
        "reset",
        "hang",
        "drip",
    ]


# Switching faults from Python


def test_an_unknown_fault_name_is_refused_listing_the_known_ones(server):
    with pytest.raises(ValueError, match="known faults: slow, 429, 500.*reset, hang") as error:
        server.set_fault("418")

    assert "'418'" in str(error.value)
    assert server.fault is None


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("503", {"times": 0}, "times must not be less than 1"),
        ("503", {"times": 1.5}, "times must be a whole number"),
        ("slow", {"delay": -1}, "delay must not be less than 0"),
        ("slow", {"delay": "soon"}, "delay must be a number"),
        ("500", {"retry_after": 1}, "retry_after only applies to the 429 and 503 faults"),
        ("503", {"status": 500}, "status only applies to the html fault"),
        ("html", {"status": 600}, "status must not be greater than 599"),
    ],
)
def test_out_of_range_or_misplaced_settings_are_refused(server, name, options, message):
    with pytest.raises(ValueError, match=message):
        server.set_fault(name, **options)


def test_the_fault_describes_the_settings_in_force_with_their_defaults(server):
    assert server.fault is None

    server.set_fault("503", times=2)
    assert server.fault == {
        "name": "503",
        "times_left": 2,
        "delay": None,
        "retry_after": None,
        "status": None,
    }
    server.set_fault("429")
    assert server.fault["retry_after"] == 1
    server.set_fault("html")
    assert server.fault["status"] == 502
    server.set_fault("slow")
    assert server.fault["delay"] == 3
    server.set_fault("hang", delay="0.5")
    assert server.fault["delay"] == 0.5


def test_the_fault_is_read_only(server):
    with pytest.raises(AttributeError):
        server.fault = {"name": "503"}
    server.set_fault("500")
    server.fault["name"] = "502"

    assert server.fault["name"] == "500"


def test_clear_fault_makes_the_api_healthy_again(server):
    server.set_fault("500")
    assert call(server).status == 500

    server.clear_fault()

    assert server.fault is None
    assert call(server).status == 200


# Each fault on the wire


@pytest.mark.parametrize(
    ("name", "message", "error"),
    [
        ("500", "Internal server error", "Internal Server Error"),
        ("502", "Bad gateway", "Bad Gateway"),
        ("503", "Service unavailable", "Service Unavailable"),
        ("504", "Gateway timeout", "Gateway Timeout"),
    ],
)
def test_server_errors_answer_that_status_with_a_json_error(server, name, message, error):
    server.set_fault(name)

    reply = call(server)

    assert reply.status == int(name)
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.body == {"statusCode": int(name), "message": message, "error": error}
    assert reply.headers["Retry-After"] is None


def test_503_sends_retry_after_when_asked(server):
    server.set_fault("503", retry_after=5)

    reply = call(server)

    assert reply.status == 503
    assert reply.headers["Retry-After"] == "5"


def test_429_sends_retry_after_and_a_json_error(server):
    server.set_fault("429")
    reply = call(server)

    assert reply.status == 429
    assert reply.headers["Retry-After"] == "1"
    assert reply.raw == (
        b'{"statusCode":429,"message":"Too many requests","error":"Too Many Requests"}'
    )

    server.set_fault("429", retry_after=0)
    assert call(server).headers["Retry-After"] == "0"


def test_faults_come_before_the_key_and_the_query_are_checked(server):
    server.set_fault("503")

    assert call(server, key=None).status == 503
    assert call(server, f"{TASKS_PATH}?per_page=1000", key="wrong").status == 503


def test_not_json_answers_200_json_whose_body_is_cut(server):
    server.set_fault("not-json")

    reply = call(server)

    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.raw == b'{"data": ['
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.raw)


def test_wrong_shape_answers_valid_json_in_another_shape(server):
    server.set_fault("wrong-shape")

    reply = call(server)

    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.body == {"items": [], "count": 0}


def test_html_answers_an_nginx_bad_gateway_page(server):
    server.set_fault("html")

    reply = call(server)

    assert reply.status == 502
    assert reply.headers["Content-Type"] == "text/html"
    assert reply.raw == NGINX_502


def test_html_can_come_with_another_status(server):
    server.set_fault("html", status=200)

    reply = call(server)

    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/html"
    assert b"<title>200 OK</title>" in reply.raw


def test_truncated_promises_more_bytes_than_it_sends_then_closes():
    # A real data set, so the cut lands inside a task.
    with make_server(port=0).start() as server:
        server.set_fault("truncated")
        host, port = server.server_address[:2]
        connection = http.client.HTTPConnection(host, port, timeout=5)
        try:
            connection.request("GET", TASKS_PATH)
            response = connection.getresponse()
            assert response.status == 200
            assert response.getheader("Content-Type") == "application/json; charset=utf-8"
            with pytest.raises(http.client.IncompleteRead) as error:
                response.read()
        finally:
            connection.close()

    promised = int(response.getheader("Content-Length"))
    assert 0 < len(error.value.partial) < promised
    assert error.value.partial.startswith(b'{"data":[{"id":')


def test_reset_resets_the_connection_without_an_answer(server):
    server.set_fault("reset")

    with pytest.raises(ConnectionResetError):
        call(server)


def test_reset_is_a_real_tcp_reset(server):
    server.set_fault("reset")
    host, port = server.server_address[:2]

    with socket.create_connection((host, port), timeout=5) as raw:
        raw.sendall(f"GET {TASKS_PATH} HTTP/1.1\r\nHost: sandbox\r\n\r\n".encode())
        with pytest.raises(ConnectionResetError):
            while raw.recv(4096):  # any byte of an answer would be a failure below
                pytest.fail("the sandbox answered instead of resetting")


def test_hang_answers_nothing_so_the_client_times_out(server):
    server.set_fault("hang", delay=5)

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        call(server, timeout=0.2)

    assert time.monotonic() - started < 3  # the client's timeout, not the server's close


def test_hang_closes_the_connection_unanswered_after_its_delay(server):
    server.set_fault("hang", delay=0.3)

    started = time.monotonic()
    with pytest.raises(http.client.RemoteDisconnected):
        call(server, timeout=10)

    assert 0.3 <= time.monotonic() - started < 5  # closed by the server, well before 10 s


def test_drip_sends_a_whole_valid_answer_one_byte_at_a_time(server):
    server.set_fault("drip", delay=0.01)
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(f"GET {TASKS_PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        reads = []
        while chunk := sock.recv(4096):
            reads.append(chunk)

    raw = b"".join(reads)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert json.loads(body)["data"] == []
    # The bytes came apart, not in one answer (most reads got a single byte).
    assert len(reads) > len(raw) // 2


def test_drip_can_be_switched_on_over_http_with_its_pace(server):
    reply = control(server, data={"name": "drip", "delay": "0.5", "times": "1"})
    assert reply.status == 200
    assert reply.body["fault"]["name"] == "drip"
    assert reply.body["fault"]["delay"] == 0.5
    assert server.fault["delay"] == 0.5
    server.set_fault("drip")
    assert server.fault["delay"] == 2


def test_stop_returns_at_once_while_a_request_hangs():
    server = make_server(port=0, tasks=[]).start()
    server.set_fault("hang")  # 60 s
    outcome = []

    def client():
        try:
            call(server, timeout=10)
            outcome.append("answered")
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            outcome.append(exc)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    assert wait_until(lambda: server.request_log), "the request never arrived"

    started = time.monotonic()
    server.stop()
    stopped_in = time.monotonic() - started
    thread.join(timeout=2)

    assert stopped_in < 5  # the hang lasts 60 s
    assert not thread.is_alive()
    assert outcome and outcome[0] != "answered"


def test_slow_answers_normally_after_its_delay(server):
    server.set_fault("slow", delay=0.3, times=1)

    started = time.monotonic()
    reply = call(server)

    assert time.monotonic() - started >= 0.3
    assert reply.status == 200
    assert reply.body["meta"]["total"] == 0
    assert call(server, key=None).status == 401  # then the key is checked as usual


def test_latency_adds_to_a_fault(server):
    server.latency = 0.15
    server.set_fault("slow", delay=0.15)

    started = time.monotonic()
    assert call(server).status == 200
    assert time.monotonic() - started >= 0.3

    server.set_fault("503")
    started = time.monotonic()
    assert call(server).status == 503
    assert time.monotonic() - started >= 0.15


def test_a_delay_comes_before_any_fault(server):
    server.set_fault("504", delay=0.2)

    started = time.monotonic()
    assert call(server).status == 504
    assert time.monotonic() - started >= 0.2


# Counting


def test_times_faults_the_next_requests_then_recovers(server):
    server.set_fault("503", times=2)

    statuses = [call(server).status]
    assert server.fault["times_left"] == 1
    statuses += [call(server).status, call(server).status, call(server).status]

    assert statuses == [503, 503, 200, 200]
    assert server.fault is None


def test_the_request_log_names_the_fault_each_request_got(server):
    server.set_fault("reset", times=1)
    with pytest.raises(ConnectionResetError):
        call(server)
    call(server)

    assert [entry["fault"] for entry in server.request_log] == ["reset", None]
    assert server.request_log[0] == {
        "method": "GET",
        "path": TASKS_PATH,
        "params": {},
        "has_key": True,
        "fault": "reset",
    }


def test_faults_only_touch_get_on_the_tasks_path(server):
    server.set_fault("500", times=1)

    assert call(server, "/elsewhere").status == 404
    assert call(server, TASKS_PATH + "/").status == 404
    assert call(server, method="POST").status == 405
    assert call(server, method="HEAD").status == 405
    assert call(server, CONTROL_PATH, key=None).status == 200
    assert server.fault["times_left"] == 1
    assert [entry["fault"] for entry in server.request_log] == [None] * 4

    assert call(server, f"{TASKS_PATH}?page=2").status == 500


# The control endpoint over HTTP


def test_get_answers_the_current_fault(server):
    reply = control(server, "GET")

    assert reply.status == 200
    assert reply.body == {"fault": None}

    server.set_fault("503", times=2, retry_after=3)
    assert control(server, "GET").body == {
        "fault": {
            "name": "503",
            "times_left": 2,
            "delay": None,
            "retry_after": 3,
            "status": None,
        }
    }


def test_a_form_post_switches_a_fault_on_and_redirects_back(server):
    reply = control(server, form={"name": "503", "times": "2", "delay": "", "retry_after": "4"})

    assert reply.status == 303
    assert reply.headers["Location"] == CONTROL_PATH
    assert reply.body["fault"]["name"] == "503"
    assert server.fault == {
        "name": "503",
        "times_left": 2,
        "delay": None,
        "retry_after": 4,
        "status": None,
    }
    assert call(server).headers["Retry-After"] == "4"


def test_a_json_post_switches_a_fault_on_and_answers_its_state(server):
    reply = control(server, data={"name": "slow", "delay": 0.25, "times": 1})

    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.body == {
        "fault": {
            "name": "slow",
            "times_left": 1,
            "delay": 0.25,
            "retry_after": None,
            "status": None,
        }
    }


def test_a_post_can_carry_its_settings_in_the_query_string(server):
    reply = control(server, query={"name": "html", "status": "504"})

    assert reply.status == 200
    assert reply.body["fault"]["status"] == 504
    assert call(server).status == 504


@pytest.mark.parametrize("name", ["", "none", "None"])
def test_an_empty_name_or_none_clears_the_fault(server, name):
    server.set_fault("500")

    reply = control(server, data={"name": name})

    assert reply.status == 200
    assert reply.body == {"fault": None}
    assert server.fault is None


def test_delete_clears_the_fault(server):
    server.set_fault("500")

    reply = control(server, "DELETE")

    assert reply.status == 200
    assert reply.body == {"fault": None}
    assert call(server).status == 200


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ({"data": {"name": "teapot"}}, "unknown fault 'teapot'; known faults: slow, 429"),
        ({"query": {"name": "503", "times": "twice"}}, "times must be a whole number"),
        ({"data": {"times": 2}}, "name is required"),
        ({"data": ["503"]}, "a JSON body must be an object"),
    ],
)
def test_a_bad_post_answers_400_json_and_changes_nothing(server, sent, message):
    server.set_fault("502")

    reply = control(server, **sent)

    assert reply.status == 400
    assert reply.body["statusCode"] == 400
    assert reply.body["error"] == "Bad Request"
    assert message in reply.body["message"]
    assert server.fault["name"] == "502"


def test_other_methods_on_the_control_endpoint_answer_405(server):
    reply = control(server, "PUT")

    assert reply.status == 405
    assert reply.headers["Allow"] == "GET, POST, DELETE"


def test_control_requests_need_no_key_and_are_not_logged(server):
    control(server, query={"name": "500"})
    control(server, "GET")
    call(server, CONTROL_PATH, key=None)
    control(server, "DELETE")

    assert server.request_log == []


def test_the_control_page_lists_the_faults_with_a_form(server):
    server.set_fault("503", times=2)

    reply = call(server, CONTROL_PATH, key=None)
    page = reply.raw.decode()

    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'<form method="post" action="{FAULT_PATH}">' in page
    for name in FAULTS:
        assert f'<option value="{name}"' in page
    for field in ("times", "delay", "retry_after"):
        assert f'name="{field}"' in page
    assert '<option value="503" selected>' in page
    assert "for the next 2 request(s)" in page
    assert '<input type="hidden" name="name" value="none">' in page
    assert "<script" not in page


def test_the_control_page_without_its_slash_redirects_to_it(server):
    reply = call(server, CONTROL_PATH.rstrip("/"), key=None)

    assert reply.status == 308
    assert reply.headers["Location"] == CONTROL_PATH


def test_a_browser_form_post_lands_back_on_the_control_page(server):
    request = urllib.request.Request(
        server.url + FAULT_PATH,
        data=urlencode({"name": "wrong-shape", "times": "", "delay": ""}).encode(),
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        page = response.read().decode()

    assert urlsplit(response.url).path == CONTROL_PATH
    assert '<option value="wrong-shape" selected>' in page
    assert server.fault["name"] == "wrong-shape"

    request = urllib.request.Request(server.url + FAULT_PATH, data=b"name=none")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert "the API answers normally" in response.read().decode()
    assert server.fault is None


def test_a_browser_sees_a_bad_value_on_the_control_page(server):
    reply = control(server, form={"name": "503", "times": "-1"}, headers={"Accept": "text/html"})

    assert reply.status == 400
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "times must not be less than 1" in reply.raw.decode()
    assert server.fault is None


# The command line


def test_python_m_sandbox_starts_with_a_fault_and_prints_the_control_url():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            "0",
            "--fault",
            "503",
            "--fault-times",
            "1",
            "--retry-after",
            "2",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        url = re.search(r"http://[\d.]+:\d+", line).group(0)
        assert f"{url}{CONTROL_PATH}" in line
        host, port = urlsplit(url).hostname, urlsplit(url).port
        statuses = []
        for _ in range(2):
            connection = http.client.HTTPConnection(host, port, timeout=5)
            connection.request("GET", TASKS_PATH, headers={"x-api-key": DEMO_KEY})
            response = connection.getresponse()
            response.read()
            statuses.append((response.status, response.getheader("Retry-After")))
            connection.close()
        assert statuses == [(503, "2"), (200, None)]
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
        process.stderr.close()


def test_python_m_sandbox_refuses_an_unknown_fault():
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--port", "0", "--fault", "teapot"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=10,
    )

    assert result.returncode == 2
    assert "invalid choice: 'teapot'" in result.stderr
