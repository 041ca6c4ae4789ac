"""A fake of the Integration API's List Activities endpoint, over real HTTP.

It follows the List Activities document, shared/api/list-activities.txt (``GET
/api/integration/activities/tasks``). Where the document is silent it answers like a
typical NestJS JSON API: errors are ``{"statusCode", "message", "error"}``, a bad query
parameter is a 400 naming it, and a date without a time (``2026-04-15``) means midnight
UTC of that day, as JavaScript's ``new Date("2026-04-15")`` does.

Faults make it slow, flaky or broken on purpose, for tests and demos. They apply only to
``GET /api/integration/activities/tasks``, before the key and the query are checked (a
broken proxy checks neither), and are produced for real on the wire: statuses, bodies,
cut responses, reset connections. Switch them with ``SandboxServer.set_fault()`` /
``clear_fault()``, or over HTTP on the same server (see ``FAULTS`` for the names):

- ``GET /_sandbox/`` is a small HTML page with a form to switch faults in a browser.
- ``GET /_sandbox/fault`` answers ``{"fault": null}`` or ``{"fault": {"name": ...,
  "times_left": ..., "delay": ..., "retry_after": ..., "status": ...}}``.
- ``POST /_sandbox/fault`` with ``name=503&times=2`` (and ``delay``, ``retry_after``,
  ``status``) as a form, a JSON object or the query string switches one on; an empty
  ``name`` or ``name=none`` clears it. It answers the new state as JSON, 400 for a bad
  value; a browser (``Accept: text/html`` or a form body) is sent back to ``/_sandbox/``
  with a 303.
- ``DELETE /_sandbox/fault`` clears it.
- ``GET /_sandbox/stats`` answers ``{"requests": N, "tasks": T}``: how many API requests
  the server has had since it started (the benchmark counts a page's upstream calls
  with it) and how many tasks it serves.

The control endpoints need no API key: they are a local demo tool, so bind the sandbox
to loopback (the default) wherever that matters. Their requests are not in
``request_log`` nor counted, and ``latency`` does not slow them.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import html
import json
import math
import re
import socket
import struct
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from urllib.parse import parse_qs, urlsplit

from .data import generate_tasks, iso, make_task

DEMO_KEY = "sandbox-demo-key"
FORBIDDEN_KEY = "sandbox-no-permission-key"
TASKS_PATH = "/api/integration/activities/tasks"
CONTROL_PATH = "/_sandbox/"
FAULT_PATH = "/_sandbox/fault"
STATS_PATH = "/_sandbox/stats"
DATA_PATH = "/_sandbox/data"

# Every fault by name, with what a client sees. ``delay`` is waited before the fault acts
# (for drip it is the pause between bytes).
FAULTS = {
    "slow": "answers normally after delay seconds (default 3)",
    "429": "429 Too Many Requests with Retry-After (default 1 s)",
    "500": "500 Internal Server Error, JSON body",
    "502": "502 Bad Gateway, JSON body",
    "503": "503 Service Unavailable, JSON body (Retry-After if retry_after is set)",
    "504": "504 Gateway Timeout, JSON body",
    "not-json": '200 application/json whose body is cut: {"data": [',
    "wrong-shape": '200 valid JSON in another shape: {"items": [], "count": 0}',
    "html": "an nginx 502 Bad Gateway HTML page (status 502 unless status is given)",
    "truncated": "200 JSON whose Content-Length promises more bytes than are sent",
    "reset": "reads the request, then resets the connection (ECONNRESET)",
    "hang": "reads the request and never answers; closes after delay s (default 60)",
    "drip": "a small 200 JSON answer sent one byte every delay s (default 2), headers too",
}
_DEFAULT_DELAY = {"slow": 3.0, "hang": 60.0, "drip": 2.0}
_RETRY_AFTER_FAULTS = ("429", "503")
_ERROR_FAULTS = ("429", "500", "502", "503", "504")
_NGINX_PAGE = (
    "<html><head><title>{status} {phrase}</title></head><body><center><h1>{status} {phrase}"
    "</h1></center><hr><center>nginx</center></body></html>"
)
_MAX_CONTROL_BODY = 1 << 16

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


def _number(value: object, name: str, *, minimum: float, whole: bool) -> float | int | None:
    """Return ``value`` (a number or its text; None or "" for absent) as a number.

    Raises ValueError naming ``name`` when it is not a finite number of at least
    ``minimum``, or not a whole one when ``whole``.
    """
    if value is None or value == "":
        return None
    kind = "a whole number" if whole else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be {kind}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} must be {kind}") from None
    if not math.isfinite(number) or (whole and not number.is_integer()):
        raise ValueError(f"{name} must be {kind}")
    if number < minimum:
        raise ValueError(f"{name} must not be less than {minimum:g}")
    return int(number) if whole else number


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
    rows = TaskIndex(tasks).select(query)
    return {"data": _page_of(rows, query), "meta": _meta(len(rows), query)}


def _page_of(rows: list, query: dict) -> list:
    start = (query["page"] - 1) * query["per_page"]
    return rows[start : start + query["per_page"]]


def _meta(total: int, query: dict) -> dict:
    per_page = query["per_page"]
    return {
        "page": query["page"],
        "per_page": per_page,
        "total": total,
        "totalPages": -(-total // per_page),
    }


def _encode(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


# Query parameters that select tasks, as opposed to paging through them.
_FILTERS = (
    "status",
    "result_status",
    "channel",
    "external_commerce_id",
    "external_operator_id",
    "scheduled_from",
    "scheduled_to",
)


class TaskIndex:
    """The tasks in the API's order, sorted and encoded once, so a request only slices.

    With thousands of tasks, parsing every ``scheduledAt`` and sorting on each request
    made the sandbox slower than the dashboard it stands in for. Here each task is
    sorted and turned into JSON once; a request filters (the last ``SELECTIONS``
    filtered views are remembered, so paging through one view or counting it again is a
    dictionary look-up) and joins the JSON of the tasks on its page. The list is read,
    never changed: to serve other tasks, build a new index (``SandboxServer.tasks = ...``
    does).
    """

    SELECTIONS = 128

    def __init__(self, tasks: list[dict]) -> None:
        keyed = []
        for task in tasks:
            when = parse_instant(task.get("scheduledAt"))
            order = (when is None, when.timestamp() if when else 0.0, str(task.get("id", "")))
            keyed.append((order, when, task))
        keyed.sort(key=lambda row: row[0])
        self.tasks = tasks
        self._dated = [(when, task) for _, when, task in keyed]
        self._ordered = [task for _, task in self._dated]
        # The scheduled times in the same order (the tasks without one come last, so
        # are not here): a scheduled_from/scheduled_to range is found by bisection
        # instead of testing every task.
        self._whens = [when for when, _ in self._dated if when is not None]
        self._json = {id(task): _encode(task) for task in tasks}
        self._selections: dict[tuple, list[dict]] = {}
        self._lock = threading.Lock()

    def select(self, query: dict) -> list[dict]:
        """The tasks matching ``query``'s filters, in order (paging is ignored)."""
        filters = tuple(query[name] for name in _FILTERS)
        if all(value is None for value in filters):
            return self._ordered
        with self._lock:
            rows = self._selections.get(filters)
        if rows is None:
            rows = [task for when, task in self._candidates(query) if _matches(task, when, query)]
            with self._lock:
                if len(self._selections) >= self.SELECTIONS:
                    del self._selections[next(iter(self._selections))]  # the oldest
                self._selections[filters] = rows
        return rows

    def _candidates(self, query: dict) -> list[tuple[dt.datetime | None, dict]]:
        """The (when, task) rows inside the query's scheduled range, if it has one."""
        start, end = query["scheduled_from"], query["scheduled_to"]
        low = 0 if start is None else bisect.bisect_left(self._whens, start)
        high = len(self._dated) if end is None else bisect.bisect_right(self._whens, end)
        return self._dated[low:high]

    def page_json(self, query: dict) -> bytes:
        """The body of the answer to ``query`` (validated by ``parse_query``), as JSON."""
        rows = self.select(query)
        data = b",".join([self._json[id(task)] for task in _page_of(rows, query)])
        meta = _encode(_meta(len(rows), query))
        return b'{"data":[' + data + b'],"meta":' + meta + b"}"


def answer(
    method: str, target: str, api_key: str | None, tasks: list[dict] | TaskIndex
) -> tuple[HTTPStatus, dict | bytes]:
    """Return the status and body the API gives for one request.

    The body is a dict to send as JSON, except for a page of tasks, which comes as
    JSON bytes already (see ``TaskIndex``).
    """
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
    index = tasks if isinstance(tasks, TaskIndex) else TaskIndex(tasks)
    return HTTPStatus.OK, index.page_json(query)


def query_params(query_string: str) -> dict[str, str]:
    """The first value of each query parameter, blanks kept."""
    parsed = parse_qs(query_string, keep_blank_values=True)
    return {name: values[0] for name, values in parsed.items()}


def _listing_payload(index: TaskIndex) -> bytes:
    """The healthy first page, as bytes, for faults that send (part of) a real answer."""
    return index.page_json(parse_query({}))


def control_page(fault: dict | None, error: str | None = None) -> str:
    """The HTML page at /_sandbox/: the current fault and a form to switch it."""
    current_name = fault["name"] if fault else ""
    if fault is None:
        current = "none: the API answers normally"
    else:
        settings = [
            f"{key.replace('_', '-')} {fault[key]:g}"
            for key in ("delay", "retry_after", "status")
            if fault[key] is not None
        ]
        if fault["times_left"] is not None:
            settings.append(f"for the next {fault['times_left']} request(s)")
        else:
            settings.append("until cleared")
        current = f"<strong>{html.escape(fault['name'])}</strong> ({', '.join(settings)})"
    options = "".join(
        f'<option value="{html.escape(name)}"{" selected" if name == current_name else ""}>'
        f"{html.escape(name)}</option>"
        for name in FAULTS
    )
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(text)}</td></tr>"
        for name, text in FAULTS.items()
    )
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox faults</title>
<style>
body{{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:1.5rem auto;padding:0 1rem}}
form{{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:1rem 0}}
label{{display:flex;flex-direction:column;font-size:.9rem}}
input{{width:7rem}} table{{border-collapse:collapse}} th,td{{text-align:left;padding:.2rem .5rem}}
th{{white-space:nowrap}} .error{{color:#a00;font-weight:bold}} code{{font-size:.9rem}}
</style></head><body>
<h1>Sandbox faults</h1>
<p>Current fault: {current}</p>
{message}
<form method="post" action="{FAULT_PATH}">
<label>Fault <select name="name">{options}</select></label>
<label>Times <input name="times" type="number" min="1" step="1" placeholder="until cleared">
</label>
<label>Delay (s) <input name="delay" type="number" min="0" step="any" placeholder="default">
</label>
<label>Retry-After (s) <input name="retry_after" type="number" min="0" step="1"
placeholder="429, 503"></label>
<label>Status <input name="status" type="number" min="200" max="599" placeholder="html"></label>
<button type="submit">Switch on</button>
</form>
<form method="post" action="{FAULT_PATH}"><input type="hidden" name="name" value="none">
<button type="submit">Clear fault</button></form>
<p>Faults apply to <code>GET {TASKS_PATH}</code> only, before the API key is checked.
<code>delay</code> is waited before any fault acts (for drip: between bytes).</p>
<table>{rows}</table>
</body></html>
"""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    # Headers and body are two writes: with Nagle's algorithm on, a small body waited
    # for the client's delayed ACK, about 40 ms on Linux, on every keep-alive request.
    disable_nagle_algorithm = True
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
        split = urlsplit(self.path)
        if split.path in (FAULT_PATH, CONTROL_PATH, CONTROL_PATH.rstrip("/")):
            self._control(split.path, split.query)
            return
        if split.path == STATS_PATH:
            self._stats()
            return
        if split.path == DATA_PATH:
            self._data_control(split.query)
            return
        self._discard_body()
        api_key = self.headers.get("x-api-key") or None
        fault = None
        if self.command == "GET" and split.path == TASKS_PATH:
            fault = self.server.take_fault()
        self.server.record(
            {
                "method": self.command,
                "path": split.path,
                "params": query_params(split.query),
                "has_key": api_key is not None,
                "fault": fault["name"] if fault is not None else None,
            }
        )
        latency = self.server.latency
        if latency > 0:
            time.sleep(latency)
        if fault is not None and self._act_out(fault):
            return
        status, body = answer(self.command, self.path, api_key, self.server.index)
        allow = {"Allow": "GET"} if status == HTTPStatus.METHOD_NOT_ALLOWED else {}
        self._send_json(status.value, body, allow)

    def _act_out(self, fault: dict) -> bool:
        """Produce ``fault`` on the wire; False when the request is to be answered normally."""
        name = fault["name"]
        if name == "drip":
            self._drip(fault["delay"])
            return True
        if fault["delay"] and self.server.pause(fault["delay"]):
            self.close_connection = True  # stopping: drop the request unanswered
            return True
        if name == "slow":
            return False
        if name == "hang":
            self.close_connection = True  # waited long enough: close without a word
        elif name == "reset":
            self._reset()
        elif name in _ERROR_FAULTS:
            status = HTTPStatus(int(name))
            headers = {}
            if fault["retry_after"] is not None:
                headers["Retry-After"] = str(fault["retry_after"])
            self._send_json(status.value, _error(status, status.phrase.capitalize()), headers)
        elif name == "not-json":
            self._send(200, b'{"data": [', "application/json; charset=utf-8")
        elif name == "wrong-shape":
            self._send_json(200, {"items": [], "count": 0})
        elif name == "html":
            status = fault["status"]
            try:
                phrase = HTTPStatus(status).phrase
            except ValueError:
                phrase = "Error"
            page = _NGINX_PAGE.format(status=status, phrase=phrase)
            self._send(status, page.encode(), "text/html")
        elif name == "truncated":
            payload = _listing_payload(self.server.index)
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.close_connection = True
        return True

    def _drip(self, interval: float) -> None:
        # A whole, valid answer (an empty page), so a client that waits long enough can
        # read it: only the pace is wrong. Each byte is its own write and TCP segment.
        body = b'{"data":[],"meta":{"page":1,"per_page":20,"total":0,"totalPages":0}}'
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        self.close_connection = True
        for byte in head.encode() + body:
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return  # the client gave up
            if self.server.pause(interval):
                return

    def _reset(self) -> None:
        # A zero linger time makes close() send RST instead of FIN: the client's read
        # fails with ECONNRESET. rfile holds a reference to the socket, so close it too.
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.connection.close()

    # The control endpoint, /_sandbox/: no key, not logged, not slowed by latency.

    def _control(self, path: str, query: str) -> None:
        no_store = {"Cache-Control": "no-store"}
        if path == CONTROL_PATH.rstrip("/"):
            self._discard_body()
            self._send(308, b"", "text/plain", {"Location": CONTROL_PATH})
        elif path == CONTROL_PATH:
            self._discard_body()
            if self.command in ("GET", "HEAD"):
                page = control_page(self.server.fault).encode()
                self._send(200, page, "text/html; charset=utf-8", no_store)
            else:
                self._control_not_allowed("GET")
        elif self.command == "GET":
            self._discard_body()
            self._send_json(200, {"fault": self.server.fault}, no_store)
        elif self.command == "DELETE":
            self._discard_body()
            self.server.clear_fault()
            self._send_json(200, {"fault": None}, no_store)
        elif self.command == "POST":
            self._control_post(query)
        else:
            self._discard_body()
            self._control_not_allowed("GET, POST, DELETE")

    def _stats(self) -> None:
        self._discard_body()
        if self.command not in ("GET", "HEAD"):
            self._control_not_allowed("GET")
            return
        stats = {"requests": self.server.request_count, "tasks": len(self.server.tasks)}
        self._send_json(200, stats, {"Cache-Control": "no-store"})

    def _data_control(self, query: str) -> None:
        """POST /_sandbox/data: change the tasks served (see ``SandboxServer.change_data``)."""
        if self.command != "POST":
            self._discard_body()
            self._control_not_allowed("POST")
            return
        try:
            result = self.server.change_data(
                self._control_params(query, self.headers.get_content_type())
            )
        except (ValueError, KeyError) as exc:
            status = HTTPStatus.BAD_REQUEST
            self._send_json(status.value, _error(status, str(exc)))
            return
        self._send_json(
            200, {**result, "tasks": len(self.server.tasks)}, {"Cache-Control": "no-store"}
        )

    def _control_not_allowed(self, allow: str) -> None:
        status = HTTPStatus.METHOD_NOT_ALLOWED
        body = _error(status, f"Cannot {self.command} {self.path}")
        self._send_json(status.value, body, {"Allow": allow})

    def _control_post(self, query: str) -> None:
        content_type = self.headers.get_content_type()
        form = content_type == "application/x-www-form-urlencoded"
        browser = form or "text/html" in self.headers.get("Accept", "")
        try:
            params = self._control_params(query, content_type)
            name = params.get("name")
            if name is None:
                raise ValueError("name is required (empty or none clears the fault)")
            if not isinstance(name, str | int) or isinstance(name, bool):
                raise ValueError("name must be a fault name")
            if str(name).strip().lower() in ("", "none"):
                self.server.clear_fault()
            else:
                self.server.set_fault(
                    str(name).strip(),
                    times=params.get("times"),
                    delay=params.get("delay"),
                    retry_after=params.get("retry_after"),
                    status=params.get("status"),
                )
        except ValueError as exc:
            status = HTTPStatus.BAD_REQUEST
            if "text/html" in self.headers.get("Accept", ""):
                page = control_page(self.server.fault, str(exc)).encode()
                self._send(status.value, page, "text/html; charset=utf-8")
            else:
                self._send_json(status.value, _error(status, str(exc)))
            return
        state = {"fault": self.server.fault}
        headers = {"Cache-Control": "no-store"}
        if browser:
            self._send_json(303, state, {**headers, "Location": CONTROL_PATH})
        else:
            self._send_json(200, state, headers)

    def _control_params(self, query: str, content_type: str) -> dict[str, object]:
        """The query string's parameters, overridden by a form or JSON body's.

        Raises ValueError for a body that cannot be read or parsed.
        """
        params: dict[str, object] = dict(query_params(query))
        body = self._read_body()
        if body is None:
            limit = _MAX_CONTROL_BODY
            raise ValueError(f"send a body of at most {limit} bytes, with a Content-Length")
        if not body.strip():
            return params
        if content_type == "application/json":
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("a JSON body must be an object")
            params.update(data)
        else:
            params.update(query_params(body.decode("utf-8")))
        return params

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_CONTROL_BODY:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

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

    def _send_json(
        self, code: int, body: dict | bytes, headers: dict[str, str] | None = None
    ) -> None:
        payload = body if isinstance(body, bytes) else _encode(body)
        self._send(code, payload, "application/json; charset=utf-8", headers)

    def _send(
        self,
        code: int,
        payload: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
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


class _DataChanges:
    """Changes to the served tasks, for tests and demos of a copy kept in step (mirror/).

    Each builds a new list (tasks are copied, never changed in place: another server may
    share them) and assigns it, so a request sees the tasks before or after, never half.
    Over HTTP: ``POST /_sandbox/data`` with ``action=delete&id=...``,
    ``action=reschedule&id=...&scheduled_at=2026-12-01T13:00:00Z``,
    ``action=add&count=3&scheduled_at=...``, ``action=corrupt&id=...`` or
    ``action=grow&times=5&scheduled_at=...``; it answers JSON with the number of tasks.
    """

    _data_lock = threading.Lock()
    _growth: dict | None = None  # {"times_left": n, "scheduled_at": datetime}
    _added = 0

    def _replace(self, change) -> bool:
        with self._data_lock:
            tasks = [dict(task) for task in self.tasks]
            found = change(tasks)
            self.tasks = tasks
        return found

    def delete_task(self, task_id: str) -> bool:
        """Stop listing ``task_id``; False when no such task."""
        return self._replace(lambda tasks: _pop(tasks, task_id) is not None)

    def reschedule_task(self, task_id: str, scheduled_at: dt.datetime) -> bool:
        """Move ``task_id`` to ``scheduled_at`` (aware); False when no such task."""

        def move(tasks: list[dict]) -> bool:
            task = next((t for t in tasks if t.get("id") == task_id), None)
            if task is not None:
                task["scheduledAt"] = iso(scheduled_at)
            return task is not None

        return self._replace(move)

    def corrupt_task(self, task_id: str) -> bool:
        """Give ``task_id`` a wrong shape (``reason`` a string, not an object)."""

        def corrupt(tasks: list[dict]) -> bool:
            task = next((t for t in tasks if t.get("id") == task_id), None)
            if task is not None:
                task["reason"] = "not an object"
            return task is not None

        return self._replace(corrupt)

    def add_tasks(self, count: int, scheduled_at: dt.datetime) -> list[str]:
        """Add ``count`` new pending tasks at ``scheduled_at``; returns their ids."""
        new = []
        with self._data_lock:
            for _ in range(count):
                type(self)._added += 1
                new.append(make_task(scheduled_at, seed=self._added))
            self.tasks = [*self.tasks, *new]
        return [task["id"] for task in new]

    def set_growth(self, times: int | None, scheduled_at: dt.datetime) -> None:
        """After each of the next ``times`` task-list requests (all while None), add one
        task at ``scheduled_at``: ``meta.total`` changes while a slice is read."""
        self._growth = {"times_left": times, "scheduled_at": scheduled_at}

    def _grow_after_request(self) -> None:
        growth = self._growth
        if growth is None:
            return
        if growth["times_left"] is not None:
            growth["times_left"] -= 1
            if growth["times_left"] <= 0:
                self._growth = None
        self.add_tasks(1, growth["scheduled_at"])

    def change_data(self, params: dict) -> dict:
        """One change from the HTTP control's parameters; raises ValueError when wrong."""
        action = str(params.get("action", ""))
        when = params.get("scheduled_at")
        scheduled_at = parse_instant(when) if when is not None else None
        if action in ("reschedule", "add", "grow") and scheduled_at is None:
            raise ValueError("scheduled_at must be an ISO 8601 instant")
        if action == "delete":
            return {"changed": self.delete_task(str(params["id"]))}
        if action == "reschedule":
            return {"changed": self.reschedule_task(str(params["id"]), scheduled_at)}
        if action == "corrupt":
            return {"changed": self.corrupt_task(str(params["id"]))}
        if action == "add":
            count = _number(params.get("count", 1), "count", minimum=1, whole=True)
            return {"ids": self.add_tasks(count, scheduled_at)}
        if action == "grow":
            times = _number(params.get("times"), "times", minimum=1, whole=True)
            self.set_growth(times, scheduled_at)
            return {"changed": True}
        raise ValueError("action must be delete, reschedule, corrupt, add or grow")


def _pop(tasks: list[dict], task_id: str) -> dict | None:
    for i, task in enumerate(tasks):
        if task.get("id") == task_id:
            return tasks.pop(i)
    return None


class SandboxServer(_DataChanges, ThreadingHTTPServer):
    """The sandbox over HTTP; ``start()`` serves in a daemon thread, ``stop()`` ends it.

    ``tasks`` and ``latency`` (seconds slept before each answer) may be changed while it
    runs; assign a new list of tasks rather than changing the list in place, since it is
    sorted and encoded once (see ``TaskIndex``). ``request_log`` gets one dict per API
    request, without the key itself; its ``"fault"`` is the name of the fault that
    request got, None when healthy. ``request_count`` counts the same requests and is
    never reset (tests clear ``request_log``).
    ``set_fault()`` / ``clear_fault()`` switch faults (see ``FAULTS``) from any thread.
    """

    daemon_threads = True
    # socketserver's default backlog of 5 drops connections when a dashboard opens many
    # at once (a burst of pages, each with its concurrent calls); clients then wait a
    # whole second for the retransmitted SYN.
    request_queue_size = 128

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
        self.request_count = 0
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        self._fault: dict | None = None
        self._stopping = threading.Event()
        super().__init__(server_address, _Handler)

    @property
    def tasks(self) -> list[dict]:
        return self.index.tasks

    @tasks.setter
    def tasks(self, tasks: list[dict]) -> None:
        self.index = TaskIndex(tasks)

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

    @property
    def fault(self) -> dict | None:
        """A copy of the current fault (name, times_left, delay, retry_after, status)."""
        with self._lock:
            return dict(self._fault) if self._fault else None

    def set_fault(
        self,
        name: str,
        *,
        times: int | None = None,
        delay: float | None = None,
        retry_after: int | None = None,
        status: int | None = None,
    ) -> None:
        """Give the next ``times`` task-list requests (all while None) the fault ``name``.

        ``delay`` is waited before the fault acts (default 3 s for slow, 60 s for hang,
        else none; for drip it is the pause between bytes, default 2 s); ``retry_after``
        is the Retry-After of 429 (default 1) and 503 (default none); ``status`` is the
        status of the html page (default 502). Numbers may be given as text. Raises
        ValueError for an unknown name, listing the known ones, or a value that is out
        of range or does not apply to the fault.
        """
        name = str(name)
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(FAULTS)}")
        times = _number(times, "times", minimum=1, whole=True)
        delay = _number(delay, "delay", minimum=0, whole=False)
        retry_after = _number(retry_after, "retry_after", minimum=0, whole=True)
        status = _number(status, "status", minimum=200, whole=True)
        if retry_after is not None and name not in _RETRY_AFTER_FAULTS:
            raise ValueError("retry_after only applies to the 429 and 503 faults")
        if status is not None and name != "html":
            raise ValueError("status only applies to the html fault")
        if status is not None and status > 599:
            raise ValueError("status must not be greater than 599")
        if delay is None:
            delay = _DEFAULT_DELAY.get(name)
        if retry_after is None and name == "429":
            retry_after = 1
        if status is None and name == "html":
            status = 502
        fault = {
            "name": name,
            "times_left": times,
            "delay": delay,
            "retry_after": retry_after,
            "status": status,
        }
        with self._lock:
            self._fault = fault

    def clear_fault(self) -> None:
        """Answer every request normally again."""
        with self._lock:
            self._fault = None

    def take_fault(self) -> dict | None:
        """Return the fault for one task-list request (None if healthy), counting it."""
        with self._lock:
            fault = self._fault
            if fault is None:
                return None
            taken = dict(fault)
            if fault["times_left"] is not None:
                fault["times_left"] -= 1
                if fault["times_left"] <= 0:
                    self._fault = None
            return taken

    def pause(self, seconds: float) -> bool:
        """Wait ``seconds``; return True at once if the server is stopping."""
        return self._stopping.wait(seconds)

    def record(self, entry: dict) -> None:
        with self._lock:
            self.request_log.append(entry)
            self.request_count += 1
        self._grow_after_request()

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
        """Stop serving, end open keep-alive connections and close the socket.

        Requests held by a slow or hang fault are dropped, so this returns promptly.
        """
        self._stopping.set()
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

    def handle_error(self, request, client_address) -> None:
        # A keep-alive connection closed under its handler (by the client, or by
        # stop() ending open connections) is not a fault of the server: no traceback.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


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
