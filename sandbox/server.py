"""A fake of the Integration API's List Activities endpoint, over real HTTP.

It follows the List Activities document, shared/api/list-activities.txt (``GET
/api/integration/activities/tasks``). Where the document is silent it answers like a
typical NestJS JSON API: errors are ``{"statusCode", "message", "error"}``, a bad query
parameter is a 400 naming it, and a date without a time (``2026-04-15``) means midnight
UTC of that day, as JavaScript's ``new Date("2026-04-15")`` does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from urllib.parse import parse_qs, urlsplit

from .data import generate_tasks

DEMO_KEY = "sandbox-demo-key"
FORBIDDEN_KEY = "sandbox-no-permission-key"
TASKS_PATH = "/api/integration/activities/tasks"

STATUSES = ("PENDING", "IN_PROGRESS", "COMPLETED", "CANCELLED")
RESULT_STATUSES = ("EFFECTIVE", "NOT_EFFECTIVE", "PENDING")
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100

_UTC = dt.UTC
_INTEGER = re.compile(r"[+-]?[0-9]+")
# Request bodies are never used; larger ones close the connection instead of being read.
_MAX_DISCARDED_BODY = 1 << 20


class BadRequest(Exception):
    """A query parameter failed validation; the message names it."""


def _error(status: HTTPStatus, message: str) -> dict:
    return {"statusCode": status.value, "message": message, "error": status.phrase}


def _integer(params: dict[str, str], name: str, default: int, maximum: int | None):
    raw = params.get(name)
    if not raw:
        return default
    if not _INTEGER.fullmatch(raw):
        raise BadRequest(f"{name} must be an integer number")
    try:
        value = int(raw)
    except ValueError:  # more digits than Python converts
        raise BadRequest(f"{name} must be an integer number") from None
    if value < 1:
        raise BadRequest(f"{name} must not be less than 1")
    if maximum is not None and value > maximum:
        raise BadRequest(f"{name} must not be greater than {maximum}")
    return value


def _choice(params: dict[str, str], name: str, allowed: tuple[str, ...]):
    value = params.get(name) or None
    if value is not None and value not in allowed:
        raise BadRequest(f"{name} must be one of the following values: {', '.join(allowed)}")
    return value


def parse_instant(value: object) -> dt.datetime | None:
    """Return an ISO 8601 date or date-time as an aware UTC datetime, else None.

    A value without an offset is taken as UTC; a plain date is midnight UTC.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            return moment.replace(tzinfo=_UTC)
        return moment.astimezone(_UTC)
    except (ValueError, OverflowError):
        return None


def _bound(params: dict[str, str], name: str) -> dt.datetime | None:
    raw = params.get(name)
    if not raw:
        return None
    moment = parse_instant(raw)
    if moment is None:
        raise BadRequest(f"{name} must be a valid ISO 8601 date string")
    return moment


def parse_query(params: dict[str, str]) -> dict:
    """Validate the query parameters; return them converted, absent ones as None.

    Raises BadRequest for the first invalid parameter. Empty values count as absent
    and unknown parameters are ignored.
    """
    query = {
        "page": _integer(params, "page", 1, None),
        "per_page": _integer(params, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE),
        "status": _choice(params, "status", STATUSES),
        "result_status": _choice(params, "result_status", RESULT_STATUSES),
        "channel": params.get("channel") or None,
        "external_commerce_id": params.get("external_commerce_id") or None,
        "external_operator_id": params.get("external_operator_id") or None,
        "scheduled_from": _bound(params, "scheduled_from"),
        "scheduled_to": _bound(params, "scheduled_to"),
    }
    start, end = query["scheduled_from"], query["scheduled_to"]
    if start is not None and end is not None and start > end:
        raise BadRequest("scheduled_from must not be later than scheduled_to")
    return query


def _matches(task: dict, when: dt.datetime | None, query: dict) -> bool:
    result = task.get("activityResult") or {}
    details = task.get("activityDetails") or {}
    start, end = query["scheduled_from"], query["scheduled_to"]
    return (
        (query["status"] is None or task.get("status") == query["status"])
        and (query["result_status"] is None or result.get("resultStatus") == query["result_status"])
        and (query["channel"] is None or task.get("channel") == query["channel"])
        and (
            query["external_commerce_id"] is None
            or task.get("commerceExternalId") == query["external_commerce_id"]
        )
        and (
            query["external_operator_id"] is None
            or details.get("assignedOperatorExternalId") == query["external_operator_id"]
        )
        and (start is None or (when is not None and when >= start))
        and (end is None or (when is not None and when <= end))
    )


def list_tasks(tasks: list[dict], query: dict) -> dict:
    """Filter, order (scheduledAt ascending, nulls last, then id) and paginate."""
    rows = []
    for task in tasks:
        when = parse_instant(task.get("scheduledAt"))
        if _matches(task, when, query):
            rows.append((when is None, when.timestamp() if when else 0.0, task))
    rows.sort(key=lambda row: (row[0], row[1], str(row[2].get("id", ""))))
    page, per_page = query["page"], query["per_page"]
    start = (page - 1) * per_page
    return {
        "data": [row[2] for row in rows[start : start + per_page]],
        "meta": {
            "page": page,
            "per_page": per_page,
            "total": len(rows),
            "totalPages": -(-len(rows) // per_page),
        },
    }


def answer(
    method: str, target: str, api_key: str | None, tasks: list[dict]
) -> tuple[HTTPStatus, dict]:
    """Return the status and JSON body the API gives for one request."""
    split = urlsplit(target)
    if split.path != TASKS_PATH:
        return HTTPStatus.NOT_FOUND, _error(HTTPStatus.NOT_FOUND, f"Cannot {method} {target}")
    if method != "GET":
        return HTTPStatus.METHOD_NOT_ALLOWED, _error(
            HTTPStatus.METHOD_NOT_ALLOWED, f"Cannot {method} {target}"
        )
    if api_key == FORBIDDEN_KEY:
        return HTTPStatus.FORBIDDEN, _error(
            HTTPStatus.FORBIDDEN,
            "The key does not have the VIEW_ACTIVITIES permission",
        )
    if api_key != DEMO_KEY:
        return HTTPStatus.UNAUTHORIZED, _error(
            HTTPStatus.UNAUTHORIZED, "API key missing or invalid"
        )
    try:
        query = parse_query(query_params(split.query))
    except BadRequest as exc:
        return HTTPStatus.BAD_REQUEST, _error(HTTPStatus.BAD_REQUEST, str(exc))
    return HTTPStatus.OK, list_tasks(tasks, query)


def query_params(query_string: str) -> dict[str, str]:
    """The first value of each query parameter, blanks kept."""
    parsed = parse_qs(query_string, keep_blank_values=True)
    return {name: values[0] for name, values in parsed.items()}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    server_version = "IntegrationSandbox/1.0"
    server: SandboxServer

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        pass  # tests and demos want a quiet terminal

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _handle(self) -> None:
        self._discard_body()
        api_key = self.headers.get("x-api-key") or None
        split = urlsplit(self.path)
        self.server.record(
            {
                "method": self.command,
                "path": split.path,
                "params": query_params(split.query),
                "has_key": api_key is not None,
            }
        )
        latency = self.server.latency
        if latency > 0:
            time.sleep(latency)
        status, body = answer(self.command, self.path, api_key, self.server.tasks)
        self._send_json(status.value, body)

    def _discard_body(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if 0 < length <= _MAX_DISCARDED_BODY:
            self.rfile.read(length)
        elif length != 0:
            self.close_connection = True

    def _send_json(self, code: int, body: dict) -> None:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        if code == HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", "GET")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def send_error(self, code: int, message: str | None = None, explain=None) -> None:
        # Malformed requests and unknown methods: answer JSON like everything else.
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        self.close_connection = True
        body = {"statusCode": code, "message": message or phrase, "error": phrase}
        self._send_json(code, body)


class SandboxServer(ThreadingHTTPServer):
    """The sandbox over HTTP; ``start()`` serves in a daemon thread, ``stop()`` ends it.

    ``tasks`` and ``latency`` (seconds slept before each answer) may be changed while it
    runs. ``request_log`` gets one dict per request, without the key itself.
    """

    daemon_threads = True

    def __init__(
        self,
        server_address: tuple[str, int],
        *,
        tasks: list[dict],
        latency: float = 0.0,
    ) -> None:
        if ":" in server_address[0]:
            self.address_family = socket.AF_INET6
        self.tasks = tasks
        self.latency = latency
        self.request_log: list[dict] = []
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        super().__init__(server_address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall offline.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"

    def record(self, entry: dict) -> None:
        with self._lock:
            self.request_log.append(entry)

    def process_request(self, request, client_address) -> None:
        with self._lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def start(self) -> SandboxServer:
        """Serve in a daemon thread and return self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"sandbox-{self.server_address[1]}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end open keep-alive connections and close the socket."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        with self._lock:
            open_connections = list(self._connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.server_close()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def make_server(
    host: str = "127.0.0.1",
    port: int = 0,
    tasks: list[dict] | None = None,
    latency: float = 0.0,
    today: dt.date | None = None,
) -> SandboxServer:
    """Bind a sandbox (port 0 picks a free port); call ``.start()`` to serve.

    ``tasks=None`` serves ``generate_tasks(today or date.today())``.
    """
    if tasks is None:
        tasks = generate_tasks(today or dt.date.today())
    return SandboxServer((host, port), tasks=tasks, latency=latency)
