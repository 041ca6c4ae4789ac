"""Service module for the Integration API's task list.

Follows the contract "List Activities" (`GET /api/integration/activities/tasks`,
shared/api/list-activities.txt). This is the only module that speaks HTTP: callers pass
a `TaskQuery` and get a `TaskPage` of frozen dataclasses back, or an `ApiError` whose
message is a sentence a supervisor can read. The API key is sent in a header and never
appears in a log line, an exception message or a returned object.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext, gettext_lazy, gettext_noop, ngettext
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NameResolutionError, ReadTimeoutError, ResponseError
from urllib3.util.retry import Retry

logger = logging.getLogger(__name__)

TASKS_PATH = "/api/integration/activities/tasks"
CONNECT_TIMEOUT = 3.05
MAX_MESSAGE_LENGTH = 300

# The document's enumerations. Other values may appear in responses and are kept as
# they come; these lists only say what may be asked for.
STATUSES = ("PENDING", "IN_PROGRESS", "COMPLETED", "CANCELLED")
RESULT_STATUSES = ("EFFECTIVE", "NOT_EFFECTIVE", "PENDING")
CHANNELS = ("SALESMAN", "CALLCENTER")
MAX_PER_PAGE = 100

# Translated when raised (gettext(UNREADABLE)), in the language of the page asking.
UNREADABLE = gettext_noop(
    "The task service sent an answer the dashboard could not read. "
    "Try again; if it keeps happening, tell an administrator."
)


# --- Errors ----------------------------------------------------------------------------


class ApiError(Exception):
    """The task list could not be fetched. `str(error)` is a sentence for the page.

    `http_status` is the status the dashboard's own page should answer with. Messages
    are translated when raised, into the language of the request that asked; titles
    are lazy, translated when shown.
    """

    http_status = 502
    title = gettext_lazy("The task service did not answer as expected")

    # Whether a copy of the view fetched earlier may stand in for the answer.
    stale_ok = True

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        # For the log only: what exactly went wrong, already free of the key.
        self.detail = detail


class ApiNotConfigured(ApiError):
    http_status = 503
    stale_ok = False
    title = gettext_lazy("The dashboard is not connected to the task service")


class ApiUnauthorized(ApiError):
    title = gettext_lazy("The task service did not accept the dashboard's key")


class ApiForbidden(ApiError):
    title = gettext_lazy("The dashboard may not view tasks")


class ApiBadRequest(ApiError):
    http_status = 400
    stale_ok = False
    title = gettext_lazy("The task service did not accept these filters")


class ApiClientError(ApiError):
    title = gettext_lazy("The task service refused the request")


class ApiServerError(ApiError):
    title = gettext_lazy("The task service has a problem")


class ApiBusy(ApiError):
    http_status = 503
    title = gettext_lazy("The task service is busy")


class ApiTimeout(ApiError):
    http_status = 504
    title = gettext_lazy("The task service is too slow")


class ApiUnavailable(ApiError):
    http_status = 503
    title = gettext_lazy("The task service cannot be reached")


class ApiNameNotFound(ApiUnavailable):
    """The API's host name does not resolve (DNS)."""


class ApiTlsError(ApiUnavailable):
    """The secure connection to the API failed (certificate, protocol)."""


class ApiCircuitOpen(ApiUnavailable):
    """Recent calls kept failing, so this one was not even tried."""


class ApiBadResponse(ApiError):
    title = gettext_lazy("The task service sent an unreadable answer")


# --- Typed results ---------------------------------------------------------------------
# Frozen but without __slots__: pages are pickled into the cache, and slotted frozen
# dataclasses unpickle through Python-level __setstate__, about twice as slowly.


@dataclass(frozen=True)
class Label:
    """A code with its human-readable label (reason, user status)."""

    code: str | None
    label: str | None


@dataclass(frozen=True)
class Commerce:
    external_id: str | None
    name: str | None


@dataclass(frozen=True)
class Assignment:
    commerce_external_id: str | None
    assignment_reason: str | None
    commerce: Commerce | None


@dataclass(frozen=True)
class Route:
    code: str | None
    name: str | None


@dataclass(frozen=True)
class Operator:
    external_id: str | None
    name: str | None
    type: str | None


@dataclass(frozen=True)
class TaskDetails:
    type: str | None
    route_code: str | None
    operator_external_id: str | None
    route: Route | None
    operator: Operator | None


@dataclass(frozen=True)
class Result:
    id: str | None
    result_status: str | None
    source: str | None
    origin: str | None
    channel: str | None
    occurred_at: datetime | None
    created_at: datetime | None
    details: Mapping[str, Any] | None


@dataclass(frozen=True)
class Task:
    id: str
    origin: str | None
    type: str | None
    status: str | None
    channel: str | None
    scheduled_at: datetime | None
    occurred_at: datetime | None
    created_at: datetime | None
    lifecycle_status: str | None
    lifecycle_label: str | None
    lifecycle_detail: str | None
    can_force_retry_dispatch: bool
    commerce_external_id: str | None
    commerce_name: str | None
    reason: Label | None
    user_status: Label | None
    assignment: Assignment | None
    details: TaskDetails | None
    result: Result | None

    @property
    def route(self) -> Route | None:
        return self.details.route if self.details else None

    @property
    def operator(self) -> Operator | None:
        return self.details.operator if self.details else None


@dataclass(frozen=True)
class PageMeta:
    page: int
    per_page: int
    total: int
    total_pages: int


@dataclass(frozen=True)
class TaskPage:
    tasks: tuple[Task, ...]
    meta: PageMeta


@dataclass(frozen=True)
class TaskQuery:
    """The API's query parameters, under the API's own names."""

    page: int = 1
    per_page: int = 20
    status: str = ""
    result_status: str = ""
    channel: str = ""
    external_commerce_id: str = ""
    external_operator_id: str = ""
    scheduled_from: datetime | None = None
    scheduled_to: datetime | None = None

    def to_params(self) -> dict[str, str]:
        """Return the query string parameters, empty ones left out, instants in UTC."""
        params: dict[str, str] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None or value == "":
                continue
            if isinstance(value, datetime):
                value = format_instant(value)
            params[field.name] = str(value)
        return params


def format_instant(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as the API writes its own timestamps."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


# --- Parsing ---------------------------------------------------------------------------


class _ShapeError(Exception):
    """The body does not have the documented shape; the message names where."""


_T = TypeVar("_T")


def _obj(value: Any, where: str, *, nullable: bool = True) -> dict | None:
    if value is None and nullable:
        return None
    if not isinstance(value, dict):
        raise _ShapeError(f"{where} should be an object")
    return value


def _new(cls: type[_T], **values: Any) -> _T:
    """An instance of the frozen dataclass `cls` with `values` as all of its fields.

    A frozen dataclass's own __init__ sets each field through object.__setattr__,
    about five times slower than filling the new instance's __dict__, which makes an
    equal object (same fields, equality, hash and pickling): parse_page takes a quarter
    less time. Only for values checked here; tests/test_bench.py checks that every
    field is set.
    """
    instance = object.__new__(cls)
    instance.__dict__.update(values)
    return instance


def _str(data: dict, key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    # Numbers are accepted as strings: an ID sent as 42 still identifies a commerce.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _ShapeError(f"{where}.{key} should be a string")


def _time(data: dict, key: str, where: str) -> datetime | None:
    value = _str(data, key, where)
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _ShapeError(f"{where}.{key} is not an ISO 8601 date") from None
    if parsed.tzinfo is None:
        # The document's timestamps are UTC ("…Z"); a bare one is read the same way.
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _int(data: dict, key: str, where: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _ShapeError(f"{where}.{key} should be a whole number")
    return value


def _label(value: Any, where: str) -> Label | None:
    data = _obj(value, where)
    if data is None:
        return None
    return _new(Label, code=_str(data, "code", where), label=_str(data, "label", where))


def _commerce(value: Any, where: str) -> Commerce | None:
    data = _obj(value, where)
    if data is None:
        return None
    return _new(
        Commerce, external_id=_str(data, "externalId", where), name=_str(data, "name", where)
    )


def _assignment(value: Any, where: str) -> Assignment | None:
    data = _obj(value, where)
    if data is None:
        return None
    return _new(
        Assignment,
        commerce_external_id=_str(data, "commerceExternalId", where),
        assignment_reason=_str(data, "assignmentReason", where),
        commerce=_commerce(data.get("commerce"), f"{where}.commerce"),
    )


def _details(value: Any, where: str) -> TaskDetails | None:
    data = _obj(value, where)
    if data is None:
        return None
    route = _obj(data.get("assignedRoute"), f"{where}.assignedRoute")
    operator = _obj(data.get("assignedOperator"), f"{where}.assignedOperator")
    return _new(
        TaskDetails,
        type=_str(data, "type", where),
        route_code=_str(data, "assignedRouteCode", where),
        operator_external_id=_str(data, "assignedOperatorExternalId", where),
        route=None
        if route is None
        else _new(Route, code=_str(route, "code", where), name=_str(route, "name", where)),
        operator=None
        if operator is None
        else _new(
            Operator,
            external_id=_str(operator, "externalId", where),
            name=_str(operator, "name", where),
            type=_str(operator, "type", where),
        ),
    )


def _result(value: Any, where: str) -> Result | None:
    data = _obj(value, where)
    if data is None:
        return None
    return _new(
        Result,
        id=_str(data, "id", where),
        result_status=_str(data, "resultStatus", where),
        source=_str(data, "source", where),
        origin=_str(data, "origin", where),
        channel=_str(data, "channel", where),
        occurred_at=_time(data, "occurredAt", where),
        created_at=_time(data, "createdAt", where),
        details=_obj(data.get("resultDetails"), f"{where}.resultDetails"),
    )


def parse_task(value: Any, where: str = "task") -> Task:
    """Build a `Task` from one record of `data`; raises `_ShapeError` if it cannot."""
    data = _obj(value, where, nullable=False)
    task_id = _str(data, "id", where)
    if not task_id:
        raise _ShapeError(f"{where} has no id")
    can_retry = data.get("canForceRetryDispatch")
    if can_retry is not None and not isinstance(can_retry, bool):
        raise _ShapeError(f"{where}.canForceRetryDispatch should be true or false")
    return _new(
        Task,
        id=task_id,
        origin=_str(data, "activityOrigin", where),
        type=_str(data, "type", where),
        status=_str(data, "status", where),
        channel=_str(data, "channel", where),
        scheduled_at=_time(data, "scheduledAt", where),
        occurred_at=_time(data, "occurredAt", where),
        created_at=_time(data, "createdAt", where),
        lifecycle_status=_str(data, "lifecycleStatus", where),
        lifecycle_label=_str(data, "lifecycleStatusLabel", where),
        lifecycle_detail=_str(data, "lifecycleStatusDetail", where),
        can_force_retry_dispatch=bool(can_retry),
        commerce_external_id=_str(data, "commerceExternalId", where),
        commerce_name=_str(data, "commerceName", where),
        reason=_label(data.get("reason"), f"{where}.reason"),
        user_status=_label(data.get("userStatus"), f"{where}.userStatus"),
        assignment=_assignment(data.get("commerceAssignment"), f"{where}.commerceAssignment"),
        details=_details(data.get("activityDetails"), f"{where}.activityDetails"),
        result=_result(data.get("activityResult"), f"{where}.activityResult"),
    )


def parse_page(body: Any) -> TaskPage:
    """Build a `TaskPage` from a decoded response body; raises `_ShapeError`."""
    body = _obj(body, "the body", nullable=False)
    records = body.get("data")
    if not isinstance(records, list):
        raise _ShapeError("data should be a list")
    meta = _obj(body.get("meta"), "meta", nullable=False)
    return TaskPage(
        tasks=tuple(parse_task(record, f"data[{i}]") for i, record in enumerate(records)),
        meta=PageMeta(
            page=_int(meta, "page", "meta"),
            per_page=_int(meta, "per_page", "meta"),
            total=_int(meta, "total", "meta"),
            total_pages=_int(meta, "totalPages", "meta"),
        ),
    )


# --- Retries within a time budget -------------------------------------------------------


@dataclass
class _Call:
    """What one `list_tasks` call may spend and has spent; read by `_BudgetRetry`."""

    deadline: float
    attempt_timeout: float
    attempts: int = 1


_current_call: ContextVar[_Call | None] = ContextVar("activities_call", default=None)

# Set per incoming request by activities.middleware; sent upstream and logged.
request_id: ContextVar[str] = ContextVar("activities_request_id", default="-")


class _BudgetRetry(Retry):
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
        call = _current_call.get()
        if call is not None:
            wait = new.get_backoff_time()
            if response is not None and self.respect_retry_after_header:
                wait = max(wait, new.get_retry_after(response) or 0)
            if time.monotonic() + wait + call.attempt_timeout > call.deadline:
                status = getattr(response, "status", None)
                raise MaxRetryError(_pool, url, error or ResponseError(f"HTTP {status}"))
            call.attempts += 1
        return new


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
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


# --- The circuit breaker ----------------------------------------------------------------


class CircuitBreaker:
    """Fails calls at once after `threshold` consecutive failures, for `cooldown` s.

    After the cool-down one call is let through; its success closes the circuit, its
    failure opens it again. Shared by every thread of the process.
    """

    def __init__(self, *, threshold: int, cooldown: float) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    def before_call(self) -> None:
        """Raise `ApiCircuitOpen` when the call should not be tried."""
        with self._lock:
            if self._opened_at is None:
                return
            waited = time.monotonic() - self._opened_at
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
                self._opened_at = time.monotonic()

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._opened_at is not None


# Failures that say the API is in trouble, as opposed to a problem with the request.
_OUTAGES = (ApiTimeout, ApiUnavailable, ApiServerError, ApiBadResponse)


# --- The client ------------------------------------------------------------------------


class ActivitiesClient:
    """Fetches pages of tasks over one keep-alive `requests.Session`.

    Idempotent GETs are retried on connection errors, 429, 502, 503 and 504 with
    exponential backoff and jitter, honouring Retry-After up to `retry_after_max`,
    and never past `budget` seconds in all. A circuit breaker fails calls at once
    while the API keeps failing.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float,
        budget: float | None = None,
        retries: int = 3,
        retry_after_max: float = 5.0,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.budget = budget if budget is not None else timeout
        self.attempt_timeout = min(timeout, self.budget)
        self.timeout = (min(CONNECT_TIMEOUT, self.attempt_timeout), self.attempt_timeout)
        self.breaker = breaker or CircuitBreaker(threshold=5, cooldown=30.0)
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = "task-dashboard/1.0"
        retry = _BudgetRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            redirect=0,
            allowed_methods=frozenset({"GET"}),
            status_forcelist=frozenset({429, 502, 503, 504}),
            backoff_factor=0.2,
            backoff_jitter=0.2,
            backoff_max=2.0,
            retry_after_max=int(retry_after_max),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=32)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"<ActivitiesClient {self.base_url}>"

    def list_tasks(self, query: TaskQuery, *, cache: str = "off") -> TaskPage:
        """Return one page of tasks matching `query`.

        `cache` only labels the log line (miss, refresh, off). Raises an `ApiError`
        subclass for every failure: missing key, 401, 403, 400 (with the API's
        message), 429, other 4xx, 5xx, timeout, DNS, TLS, connection failure, an open
        circuit, and a body that is not the documented shape.
        """
        if not self._api_key:
            raise ApiNotConfigured(
                gettext(
                    "No API key is configured for the task service. "
                    "Ask an administrator to set ACTIVITIES_API_KEY."
                )
            )
        params = query.to_params()
        started = time.monotonic()
        call = _Call(deadline=started + self.budget, attempt_timeout=self.attempt_timeout)
        token = _current_call.set(call)
        status: int | str = "-"
        try:
            self.breaker.before_call()
            try:
                response = self.session.get(
                    self.base_url + TASKS_PATH,
                    params=params,
                    headers={"x-api-key": self._api_key, "X-Request-ID": request_id.get()},
                    timeout=self.timeout,
                    # A redirect could carry the key to another host: none are followed.
                    allow_redirects=False,
                )
            except Exception as exc:
                status = "error"
                raise self._error_for(exc) from None
            status = response.status_code
            page = self._page_from(response)
        except ApiError as exc:
            if isinstance(exc, ApiCircuitOpen):
                status = "circuit-open"
            elif isinstance(exc, _OUTAGES):
                self.breaker.record(ok=False)
            else:
                self.breaker.record(ok=True)  # the API answered; the request was wrong
            if status in ("-", "error"):
                status = type(exc).__name__
            raise
        else:
            self.breaker.record(ok=True)
            return page
        finally:
            _current_call.reset(token)
            logger.info(
                "upstream path=%s params=%s status=%s attempts=%d latency_ms=%.0f "
                "cache=%s request_id=%s",
                TASKS_PATH,
                urlencode(params) or "-",
                status,
                call.attempts,
                (time.monotonic() - started) * 1000,
                cache,
                request_id.get(),
            )

    def _error_for(self, exc: Exception) -> ApiError:
        """The `ApiError` for an exception raised while sending or receiving."""
        detail = self._redact(f"{type(exc).__name__}: {exc}")
        if isinstance(exc, requests.ConnectTimeout):
            pass  # could not connect in time: the API is unreachable, said below
        elif isinstance(exc, requests.Timeout):
            return ApiTimeout(
                gettext(
                    "The task service did not answer within %(seconds)s seconds. "
                    "Try again in a moment."
                )
                % {"seconds": f"{self.attempt_timeout:g}"},
                detail=detail,
            )
        if _caused_by(exc, NameResolutionError):
            return ApiNameNotFound(
                gettext(
                    "The dashboard could not find the task service's address. Tell an "
                    "administrator; ACTIVITIES_API_BASE_URL may be wrong."
                ),
                detail=detail,
            )
        if isinstance(exc, requests.exceptions.SSLError):
            return ApiTlsError(
                gettext(
                    "The secure connection to the task service failed. Tell an "
                    "administrator; its certificate may have expired or be wrong."
                ),
                detail=detail,
            )
        if isinstance(
            exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
        ):
            return ApiBadResponse(gettext(UNREADABLE), detail=detail)
        return ApiUnavailable(
            gettext(
                "The dashboard could not reach the task service. Try again in a few "
                "minutes; if it keeps happening, tell an administrator."
            ),
            detail=detail,
        )

    def _page_from(self, response: requests.Response) -> TaskPage:
        code = response.status_code
        if code == 401:
            raise ApiUnauthorized(
                gettext(
                    "The task service did not accept the dashboard's API key. "
                    "Ask an administrator to check ACTIVITIES_API_KEY."
                )
            )
        if code == 403:
            raise ApiForbidden(
                gettext(
                    "The dashboard's API key is not allowed to view tasks (it lacks the "
                    "VIEW_ACTIVITIES permission). Ask an administrator to grant it."
                )
            )
        if code == 400:
            # The API's own message is shown as it comes, in the API's language.
            reason = self._api_message(response) or gettext("no reason given")
            raise ApiBadRequest(
                gettext(
                    "The task service rejected these filters: %(reason)s. "
                    "Change the filters and try again."
                )
                % {"reason": reason}
            )
        if code == 429:
            wait = response.headers.get("Retry-After", "")
            if wait.isdigit() and wait != "1":
                text = gettext(
                    "The task service is busy right now (too many requests). "
                    "Try again in %(seconds)s seconds."
                ) % {"seconds": wait}
            else:
                text = gettext(
                    "The task service is busy right now (too many requests). Try again in a moment."
                )
            raise ApiBusy(text)
        if 400 <= code < 500:
            raise ApiClientError(
                gettext(
                    "The task service refused the request (HTTP %(code)s). "
                    "Tell an administrator; the dashboard may need updating."
                )
                % {"code": code},
                detail=self._api_message(response),
            )
        if code >= 500:
            raise ApiServerError(
                gettext(
                    "The task service has a problem of its own (HTTP %(code)s). "
                    "Try again in a few minutes."
                )
                % {"code": code},
                detail=self._api_message(response),
            )
        if code != 200:
            raise ApiBadResponse(
                gettext(
                    "The task service answered with an unexpected status (HTTP %(code)s). "
                    "Try again; if it keeps happening, tell an administrator."
                )
                % {"code": code}
            )
        content_type = response.headers.get("Content-Type", "")
        if "json" not in content_type.lower():
            raise ApiBadResponse(gettext(UNREADABLE), detail=f"Content-Type is {content_type!r}")
        try:
            body = response.json()
        except (ValueError, requests.RequestException) as exc:
            raise ApiBadResponse(gettext(UNREADABLE), detail=f"invalid JSON: {exc}") from None
        try:
            return parse_page(body)
        except _ShapeError as exc:
            raise ApiBadResponse(gettext(UNREADABLE), detail=str(exc)) from None

    def _api_message(self, response: requests.Response) -> str:
        """The `message` of an error body as plain text, shortened and key-free."""
        try:
            message = response.json().get("message", "")
        except (ValueError, AttributeError, requests.RequestException):
            return ""
        if isinstance(message, list):
            message = "; ".join(str(item) for item in message)
        message = " ".join(str(message).split()).rstrip(".")
        if len(message) > MAX_MESSAGE_LENGTH:
            message = message[: MAX_MESSAGE_LENGTH - 1] + "…"
        return self._redact(message)

    def _redact(self, text: str) -> str:
        # Keys too short to be real would mangle the text instead of protecting anything.
        return text.replace(self._api_key, "[key]") if len(self._api_key) >= 6 else text


@lru_cache(maxsize=8)
def get_client(purpose: str = "pages") -> ActivitiesClient:
    """The process-wide client for `purpose`, built from settings on first use.

    Each purpose ("pages", "export", "sync") has its own connection pool and circuit
    breaker, so a long export or a sync run failing cannot open the breaker that the
    supervisors' pages use.
    """
    return ActivitiesClient(
        base_url=settings.ACTIVITIES_API_BASE_URL,
        api_key=settings.ACTIVITIES_API_KEY,
        timeout=settings.ACTIVITIES_API_TIMEOUT,
        budget=settings.ACTIVITIES_API_BUDGET,
        retries=settings.ACTIVITIES_API_RETRIES,
        retry_after_max=settings.ACTIVITIES_RETRY_AFTER_MAX,
        breaker=CircuitBreaker(
            threshold=settings.ACTIVITIES_BREAKER_THRESHOLD,
            cooldown=settings.ACTIVITIES_BREAKER_COOLDOWN,
        ),
    )


@receiver(setting_changed)
def _forget_client(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith(("ACTIVITIES_API_", "ACTIVITIES_BREAKER_", "ACTIVITIES_RETRY_")):
        get_client.cache_clear()


def circuit_open() -> bool:
    """Whether calls are being refused after a run of failures."""
    return get_client().breaker.is_open


def list_tasks(query: TaskQuery, *, cache: str = "off", purpose: str = "pages") -> TaskPage:
    """Return one page of tasks; see `ActivitiesClient.list_tasks` and `get_client`."""
    return get_client(purpose).list_tasks(query, cache=cache)
