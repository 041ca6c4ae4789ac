"""The `ApiError` family: one readable exception per way a call to the task service fails.

Each class carries what every caller needs, so no caller keeps its own table: the HTTP
status the dashboard's page answers with, a title for the page, whether a stale copy may
stand in, a stable token for /readyz, and a sentence for an administrator (check_api).
`STATUS_ERRORS` maps the API's HTTP statuses to the error raised and the sentence shown.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy, gettext_noop

MAX_MESSAGE_LENGTH = 300

# Translated when raised (gettext(UNREADABLE)), in the language of the page asking.
UNREADABLE = gettext_noop(
    "The task service sent an answer the dashboard could not read. "
    "Try again; if it keeps happening, tell an administrator."
)


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
    # What /readyz reports: one of the tokens listed in the README.
    readiness = "bad_response"
    # For administrators (manage.py check_api), in English like the settings it names:
    # a subclass's docstring, folded onto one line (__init_subclass__).
    explanation = "The API did not answer as documented."
    # The HTTP status the API answered with, when it answered (for the log line).
    upstream_status: int | None = None

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        # For the log only: what exactly went wrong, already free of the key.
        self.detail = detail

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__doc__:
            cls.explanation = " ".join(cls.__doc__.split())


class ApiNotConfigured(ApiError):
    """No API key is set. Set ACTIVITIES_API_KEY."""

    http_status = 503
    stale_ok = False
    title = gettext_lazy("The dashboard is not connected to the task service")
    readiness = "unavailable"


class ApiUnauthorized(ApiError):
    """401: the API does not accept this key. Check ACTIVITIES_API_KEY."""

    title = gettext_lazy("The task service did not accept the dashboard's key")
    readiness = "unauthorized"


class ApiForbidden(ApiError):
    """403: the key is valid but lacks the VIEW_ACTIVITIES permission.

    Ask the API's owners to grant it.
    """

    title = gettext_lazy("The dashboard may not view tasks")
    readiness = "forbidden"


class ApiBadRequest(ApiError):
    """400: the API rejected a plain first-page request."""

    http_status = 400
    stale_ok = False
    title = gettext_lazy("The task service did not accept these filters")


class ApiClientError(ApiError):
    """4xx: the API refused the request; is the base URL right?"""

    title = gettext_lazy("The task service refused the request")


class ApiServerError(ApiError):
    """5xx: the API has an internal problem. Try again later."""

    title = gettext_lazy("The task service has a problem")
    readiness = "server_error"


class ApiBusy(ApiError):
    """429: the API is rate-limiting this key. Try again later."""

    http_status = 503
    title = gettext_lazy("The task service is busy")
    readiness = "unavailable"


class ApiTimeout(ApiError):
    """Timeout: the API accepted the connection but did not answer in time.

    It may be overloaded; ACTIVITIES_API_TIMEOUT sets how long to wait.
    """

    http_status = 504
    title = gettext_lazy("The task service is too slow")
    readiness = "timeout"


class ApiUnavailable(ApiError):
    """Connection: nothing answered at that address (refused, reset or unreachable).

    Check the URL, the port and any firewall.
    """

    http_status = 503
    title = gettext_lazy("The task service cannot be reached")
    readiness = "unavailable"


class ApiNameNotFound(ApiUnavailable):
    """DNS: the host name in ACTIVITIES_API_BASE_URL does not resolve.

    Check the URL and this machine's DNS.
    """


class ApiTlsError(ApiUnavailable):
    """TLS: the secure connection failed (an expired, self-signed or wrong-host
    certificate, or a proxy intercepting HTTPS).
    """


class ApiCircuitOpen(ApiUnavailable):
    """Recent calls kept failing, so this one was not tried. Try again later."""


class ApiBadResponse(ApiError):
    """Bad response: the answer was not the documented JSON (an HTML proxy page, a
    truncated body, or another service at that URL).
    """

    title = gettext_lazy("The task service sent an unreadable answer")


# Failures that say the API is in trouble, as opposed to a problem with the request.
OUTAGES = (ApiTimeout, ApiUnavailable, ApiServerError, ApiBadResponse)

# The API's status → (error raised, sentence for the page). Sentences are translated
# when raised; they may use %(code)s, %(reason)s (the API's own message) and %(seconds)s.
STATUS_ERRORS: dict[int, tuple[type[ApiError], str]] = {
    400: (
        ApiBadRequest,
        gettext_noop(
            "The task service rejected these filters: %(reason)s. Change the filters and try again."
        ),
    ),
    401: (
        ApiUnauthorized,
        gettext_noop(
            "The task service did not accept the dashboard's API key. "
            "Ask an administrator to check ACTIVITIES_API_KEY."
        ),
    ),
    403: (
        ApiForbidden,
        gettext_noop(
            "The dashboard's API key is not allowed to view tasks (it lacks the "
            "VIEW_ACTIVITIES permission). Ask an administrator to grant it."
        ),
    ),
    429: (
        ApiBusy,
        gettext_noop(
            "The task service is busy right now (too many requests). "
            "Try again in %(seconds)s seconds."
        ),
    ),
}
# Statuses not in STATUS_ERRORS, by their first digit.
STATUS_CLASS_ERRORS: dict[int, tuple[type[ApiError], str]] = {
    4: (
        ApiClientError,
        gettext_noop(
            "The task service refused the request (HTTP %(code)s). "
            "Tell an administrator; the dashboard may need updating."
        ),
    ),
    5: (
        ApiServerError,
        gettext_noop(
            "The task service has a problem of its own (HTTP %(code)s). Try again in a few minutes."
        ),
    ),
}
UNEXPECTED_STATUS = (
    ApiBadResponse,
    gettext_noop(
        "The task service answered with an unexpected status (HTTP %(code)s). "
        "Try again; if it keeps happening, tell an administrator."
    ),
)
BUSY_SOON = gettext_noop(
    "The task service is busy right now (too many requests). Try again in a moment."
)


def error_for_status(code: int, *, reason: str = "", retry_after: str = "") -> ApiError:
    """The `ApiError` for an answer with HTTP status `code` (not 200).

    `reason` is the API's own message, shown as it comes for a 400 and kept for the log
    otherwise; `retry_after` is the Retry-After header of a 429.
    """
    kind, sentence = STATUS_ERRORS.get(code) or STATUS_CLASS_ERRORS.get(
        code // 100, UNEXPECTED_STATUS
    )
    if code == 429 and not (retry_after.isdigit() and retry_after != "1"):
        sentence = BUSY_SOON
    values = {
        "code": code,
        "reason": reason or gettext("no reason given"),
        "seconds": retry_after,
    }
    # The API's message goes to the log where the sentence does not already show it.
    detail = reason if code not in STATUS_ERRORS and code // 100 in STATUS_CLASS_ERRORS else ""
    return kind(gettext(sentence) % values, detail=detail)
