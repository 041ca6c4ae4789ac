"""Helpers the test modules share: fake HTTP servers, a raw HTTP call, a clock, a poll."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from sandbox import DEMO_KEY, TASKS_PATH

PASSWORD = "correct-horse-battery"
# A page's masked CSRF token, as its forms carry it.
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def html(response) -> str:
    """A page's text, which must have answered 200."""
    assert response.status_code == 200
    return response.content.decode()


def sign_in(page, password: str) -> None:
    """Sign in as the `user` fixture's supervisor through the real form, in a browser."""
    page.get_by_label("Username").fill("sofia")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def open_signed_in(page, url: str, *, zone: str | None = "America/Santiago") -> None:
    """Open `url` as the `user` fixture's supervisor, signed in without the form.

    The browser gets what signing in through the form leaves: Django's session cookie
    and, where JavaScript runs, the `tz` cookie with the browser's zone
    (static/js/timezone.js). A page load and a POST fewer than `sign_in`, which the
    tests about signing in keep using.
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="sofia"))
    name = settings.SESSION_COOKIE_NAME
    site = urlunsplit(urlsplit(url)[:2] + ("/", "", ""))
    cookies = [
        {"name": name, "value": client.cookies[name].value, "url": site, "httpOnly": True},
    ]
    if zone:
        cookies.append({"name": "tz", "value": zone, "url": site})
    page.context.add_cookies([{**cookie, "sameSite": "Lax"} for cookie in cookies])
    page.goto(url)


# --- Polling and time -------------------------------------------------------------------


def wait_until(
    condition: Callable[[], object], *, timeout: float = 10.0, interval: float = 0.01
) -> bool:
    """Poll `condition` until it is true or `timeout` seconds pass; return its last value.

    For waiting on another thread or process: the deadline is generous because a loaded
    CI machine may be slow, and a passing test returns as soon as the condition holds.
    """
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() >= deadline:
            return bool(result)
        time.sleep(interval)
    return True


class FakeClock:
    """A `time.monotonic` stand-in that moves only when a test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --- A raw HTTP call, for the sandbox's own tests ---------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    raw: bytes

    @property
    def body(self):
        return json.loads(self.raw.decode("utf-8"))


def call(
    server,
    path: str = TASKS_PATH,
    *,
    params: dict | None = None,
    method: str = "GET",
    key: str | None = DEMO_KEY,
    body: bytes | str | None = None,
    headers: dict | None = None,
    timeout: float = 10,
) -> Reply:
    """One request to `server` (anything with `server_address`) over a fresh connection.

    `key` goes in the `x-api-key` header unless it is None; `params` become the query.
    """
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        target = f"{path}?{urlencode(params)}" if params else path
        sent = {"x-api-key": key} if key is not None else {}
        connection.request(method, target, body=body, headers={**sent, **(headers or {})})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def list_calls(sandbox) -> list[dict]:
    """The parameters of the list calls the sandbox saw (not the tab counts)."""
    return [e["params"] for e in sandbox.request_log if e["params"].get("per_page") != "1"]


# --- Fake APIs for faults the sandbox lacks ---------------------------------------------


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler], **state) -> Iterator[ThreadingHTTPServer]:
    """Serve `handler` on a free loopback port; `state` becomes attributes of the server."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    for name, value in state.items():
        setattr(server, name, value)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status: int, content_type: str, body: str | bytes) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Canned(_Quiet):
    """Answers every request with the server's `answer`: (status, content type, body).

    Server state: `answer`, `delay` (seconds before answering), `requests` (the keys sent).
    """

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.server.requests.append(self.headers.get("x-api-key"))
        status, content_type, body = self.server.answer
        if self.server.delay:
            time.sleep(self.server.delay)  # the fault being simulated: a slow API
        self.answer(status, content_type, body)


def canned_server() -> AbstractContextManager[ThreadingHTTPServer]:
    return http_server(Canned, answer=(200, "application/json", "{}"), delay=0.0, requests=[])


class Paged(_Quiet):
    """Serves the server's `records` page by page, and HTTP 500 from page `fail_from` on.

    Server state: `records`, `fail_from`, `delay`, and what it saw: `pages`, `keys`,
    `max_in_flight`.
    """

    def do_GET(self):  # noqa: N802 (http.server's naming)
        server = self.server
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        page, per_page = int(params["page"]), int(params["per_page"])
        with server.lock:
            server.pages.append(page)
            server.keys.append(self.headers.get("x-api-key"))
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
        time.sleep(server.delay)  # the fault being simulated: a slow API
        if page >= server.fail_from:
            status, answer = 500, {"statusCode": 500, "message": "Internal server error"}
        else:
            status, answer = 200, _page(server.records, page, per_page)
        with server.lock:
            server.in_flight -= 1
        self.answer(status, "application/json; charset=utf-8", json.dumps(answer))


def _page(records: list[dict], page: int, per_page: int) -> dict:
    return {
        "data": records[(page - 1) * per_page : page * per_page],
        "meta": {
            "page": page,
            "per_page": per_page,
            "total": len(records),
            "totalPages": -(-len(records) // per_page),
        },
    }


def paged_server(records: list[dict]) -> AbstractContextManager[ThreadingHTTPServer]:
    return http_server(
        Paged,
        records=records,
        fail_from=10**9,
        delay=0.0,
        lock=threading.Lock(),
        pages=[],
        keys=[],
        in_flight=0,
        max_in_flight=0,
    )


def point_at(settings, server) -> None:
    """Point the dashboard at `server` with the demo key."""
    settings.ACTIVITIES_API_BASE_URL = f"http://127.0.0.1:{server.server_port}"
    settings.ACTIVITIES_API_KEY = DEMO_KEY
    settings.ACTIVITIES_API_TIMEOUT = 5.0
