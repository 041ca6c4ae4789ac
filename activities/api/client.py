"""The HTTP side of the task service: one keep-alive `requests.Session` per purpose.

Follows the contract "List Activities" (`GET /api/integration/activities/tasks`,
shared/api/list-activities.txt). This is the only module that imports `requests`:
callers pass a `TaskQuery` and get a `TaskPage` back, or an `ApiError` whose message is
a sentence a supervisor can read. The API key is sent in a header and never appears in
a log line, an exception message or a returned object; nor does a password in the URL.
"""

from __future__ import annotations

import json
import logging
import os
import time
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import msgspec
import requests
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError

from activities.middleware import request_id

from .errors import (
    MAX_MESSAGE_LENGTH,
    OUTAGES,
    UNREADABLE,
    ApiBadResponse,
    ApiCircuitOpen,
    ApiError,
    ApiNameNotFound,
    ApiNotConfigured,
    ApiTimeout,
    ApiTlsError,
    ApiUnavailable,
    error_for_status,
)
from .parsing import ShapeError, parse_page
from .resilience import (
    BudgetRetry,
    Call,
    CircuitBreaker,
    WatchedHTTPPool,
    WatchedHTTPSPool,
    caused_by,
    current_call,
)
from .types import TaskPage, TaskQuery

logger = logging.getLogger(__name__)

TASKS_PATH = "/api/integration/activities/tasks"
CONNECT_TIMEOUT = 3.05


def safe_url(url: str) -> str:
    """`url` without any `user:password@` part, for logs and diagnostics."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter, with pools whose connections obey the call's deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": WatchedHTTPPool,
            "https": WatchedHTTPSPool,
        }


def _retry(retries: int, retry_after_max: float) -> BudgetRetry:
    return BudgetRetry(
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


def _session(
    base_url: str, retries: int, retry_after_max: float
) -> tuple[requests.Session, _WatchedAdapter]:
    """A session for `base_url`'s API, and its adapter (the retries and the pool)."""
    session = requests.Session()
    session.headers["Accept"] = "application/json"
    session.headers["User-Agent"] = "task-dashboard/1.0"
    adapter = _WatchedAdapter(
        max_retries=_retry(retries, retry_after_max), pool_connections=4, pool_maxsize=32
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    # The environment (proxy variables, CA bundle) is read once, here: with
    # `trust_env` requests reads it again on every call, about half a millisecond
    # (7% of an uncached page). `.netrc` is not read: the API takes its key header.
    session.trust_env = False
    session.proxies = requests.utils.get_environ_proxies(base_url)
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    return session, adapter


class ActivitiesClient:
    """Fetches pages of tasks over one keep-alive `requests.Session`.

    Idempotent GETs are retried on connection errors, 429, 502, 503 and 504 with
    exponential backoff and jitter, honouring Retry-After up to `retry_after_max`.
    The whole call, the answer's last byte included, never takes more than `budget`
    seconds. A circuit breaker fails calls at once while the API keeps failing.
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
        self._password = urlsplit(self.base_url).password or ""
        self.budget = budget if budget is not None else timeout
        self.attempt_timeout = min(timeout, self.budget)
        self.timeout = (min(CONNECT_TIMEOUT, self.attempt_timeout), self.attempt_timeout)
        self.breaker = breaker or CircuitBreaker(threshold=5, cooldown=30.0)
        self.session, self._adapter = _session(self.base_url, retries, retry_after_max)
        # What `session.get` would prepare for every call (headers, the key, basic auth
        # from a password in the URL), prepared once: each call copies it and adds its
        # query string and request id (`_prepared`).
        self._template = self.session.prepare_request(
            requests.Request("GET", self.base_url + TASKS_PATH, headers={"x-api-key": api_key})
        )

    def __repr__(self) -> str:
        return f"<ActivitiesClient {safe_url(self.base_url)}>"

    def list_tasks(self, query: TaskQuery, *, cache: str = "off") -> TaskPage:
        """Return one page of tasks matching `query`.

        `cache` only labels the log line (miss, refresh, off). Raises an `ApiError`
        subclass for every failure: missing key, 401, 403, 400 (with the API's
        message), 429, other 4xx, 5xx, timeout (the budget included), DNS, TLS,
        connection failure, an open circuit, and a body that is not the documented shape.
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
        call = Call(budget=self.budget, attempt_timeout=self.attempt_timeout)
        outcome: int | str = "-"
        token = current_call.set(call)
        try:
            with call:
                page, outcome = self._call(params, call)
            return page
        except ApiError as exc:
            outcome = self._record_failure(exc, outcome)
            raise
        finally:
            current_call.reset(token)
            self._log(params, outcome, call, started, cache)

    def _call(self, params: dict[str, str], call: Call) -> tuple[TaskPage, int]:
        """One call within `call`'s budget: the page and the API's status."""
        self.breaker.before_call()
        try:
            response, body = self._send(self._prepared(params))
        except Exception as exc:
            raise self._error_for(exc, call) from None
        if call.expired:
            # Cut off mid-answer: what arrived may even look whole (headers end at EOF).
            raise self._timeout(self.budget, f"budget of {self.budget:g} s spent")
        try:
            page = self._page_from(response, body)
        except ApiError as exc:
            exc.upstream_status = response.status_code
            raise
        self.breaker.record(ok=True)
        return page, response.status_code

    def _prepared(self, params: dict[str, str]) -> requests.PreparedRequest:
        """The GET of `params`, as `session.get(url, params=params)` would prepare it."""
        request = self._template.copy()
        if params:
            # requests' own encoding of a dict of strings: urlencode's output is already
            # quoted as its `requote_uri` would leave it.
            request.url = f"{request.url}?{urlencode(params)}"
        request.headers["X-Request-ID"] = request_id.get()
        return request

    def _send(self, request: requests.PreparedRequest) -> tuple[requests.Response, bytes]:
        """`request` through the session's adapter, as `Session.send` would send it, and
        the answer's body.

        Straight to the adapter: `Session.request` merges settings, hooks and cookies
        anew on every call, about a third of the client's CPU per call (bench/README.md,
        "Fifth pass"). Its proxies and CA bundle are read from the session, as it would;
        no redirect is followed (one could carry the key to another host), no cookie kept.
        The body is read within the call, as `stream=False` would, but in one read
        rather than `Response.content`'s 10 KB chunks (a 100-task page is 12 of them),
        with the same exceptions (requests' `iter_content` wraps urllib3's).
        """
        session = self.session
        response = self._adapter.send(
            request,
            stream=True,
            timeout=self.timeout,
            verify=session.verify,
            cert=session.cert,
            proxies=session.proxies,
        )
        return response, b"".join(response.iter_content(chunk_size=None))

    def _record_failure(self, exc: ApiError, outcome: int | str) -> int | str:
        """Tell the breaker about a failed call; the outcome for the log line."""
        if isinstance(exc, ApiCircuitOpen):
            return "circuit-open"
        # An outage counts against the API; anything else means the API answered.
        self.breaker.record(ok=not isinstance(exc, OUTAGES))
        return exc.upstream_status or type(exc).__name__

    def _log(self, params: dict, outcome: int | str, call: Call, started: float, cache: str):
        logger.info(
            "upstream path=%s params=%s status=%s attempts=%d latency_ms=%.0f "
            "cache=%s request_id=%s",
            TASKS_PATH,
            urlencode(params) or "-",
            outcome,
            call.attempts,
            (time.monotonic() - started) * 1000,
            cache,
            request_id.get(),
        )

    def _error_for(self, exc: Exception, call: Call) -> ApiError:
        """The `ApiError` for an exception raised while sending or receiving."""
        detail = self._redact(f"{type(exc).__name__}: {exc}")
        if call.expired:
            return self._timeout(self.budget, f"budget of {self.budget:g} s spent; {detail}")
        if isinstance(exc, requests.ConnectTimeout):
            pass  # could not connect in time: the API is unreachable, said below
        elif isinstance(exc, requests.Timeout):
            return self._timeout(self.attempt_timeout, detail)
        if caused_by(exc, NameResolutionError):
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

    @staticmethod
    def _timeout(seconds: float, detail: str) -> ApiTimeout:
        return ApiTimeout(
            gettext(
                "The task service did not answer within %(seconds)s seconds. Try again in a moment."
            )
            % {"seconds": f"{seconds:g}"},
            detail=detail,
        )

    def _page_from(self, response: requests.Response, body: bytes) -> TaskPage:
        code = response.status_code
        if code != 200:
            raise error_for_status(
                code,
                reason=self._api_message(body),
                retry_after=response.headers.get("Retry-After", ""),
            )
        content_type = response.headers.get("Content-Type", "")
        if "json" not in content_type.lower():
            raise ApiBadResponse(gettext(UNREADABLE), detail=f"Content-Type is {content_type!r}")
        try:
            return parse_page(body)
        except ShapeError as exc:
            raise ApiBadResponse(gettext(UNREADABLE), detail=str(exc)) from None
        except msgspec.DecodeError as exc:
            raise ApiBadResponse(gettext(UNREADABLE), detail=f"invalid JSON: {exc}") from None

    def _api_message(self, body: bytes) -> str:
        """The `message` of an error body as plain text, shortened and key-free."""
        try:
            message = json.loads(body).get("message", "")
        except (ValueError, AttributeError, RecursionError):  # too deeply nested to read
            return ""
        if isinstance(message, list):
            message = "; ".join(str(item) for item in message)
        message = " ".join(str(message).split()).rstrip(".")
        if len(message) > MAX_MESSAGE_LENGTH:
            message = message[: MAX_MESSAGE_LENGTH - 1] + "…"
        return self._redact(message)

    def _redact(self, text: str) -> str:
        # Secrets too short to be real would mangle the text instead of protecting anything.
        for secret, mask in ((self._api_key, "[key]"), (self._password, "[password]")):
            if len(secret) >= 6:
                text = text.replace(secret, mask)
        return text


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


def circuit_open(purpose: str = "pages") -> bool:
    """Whether calls for `purpose` are being refused after a run of failures."""
    # Always passed positionally: lru_cache keys get_client() and get_client("pages")
    # apart, which would make a second client whose breaker never opens.
    return get_client(purpose).breaker.is_open


def list_tasks(query: TaskQuery, *, cache: str = "off", purpose: str = "pages") -> TaskPage:
    """Return one page of tasks; see `ActivitiesClient.list_tasks` and `get_client`."""
    return get_client(purpose).list_tasks(query, cache=cache)
