"""The Integration API, as the rest of the dashboard sees it: `from activities import api`.

Typed records (types.py), one readable exception family (errors.py), the decoder
(parsing.py), the time budget and circuit breaker (resilience.py) and the HTTP client
(client.py). Callers use the names below; the modules' other names are internal.
"""

from activities.middleware import request_id

from .client import (
    TASKS_PATH,
    ActivitiesClient,
    circuit_open,
    get_client,
    list_tasks,
    safe_url,
)
from .errors import (
    ApiBadRequest,
    ApiBadResponse,
    ApiBusy,
    ApiCircuitOpen,
    ApiClientError,
    ApiError,
    ApiForbidden,
    ApiNameNotFound,
    ApiNotConfigured,
    ApiServerError,
    ApiTimeout,
    ApiTlsError,
    ApiUnauthorized,
    ApiUnavailable,
)
from .parsing import ShapeError, parse_page, task_from_dict, task_to_dict
from .resilience import CircuitBreaker
from .types import (
    CHANNELS,
    MAX_PER_PAGE,
    RESULT_STATUSES,
    STATUSES,
    Assignment,
    Commerce,
    Label,
    Operator,
    PageMeta,
    Result,
    Route,
    Task,
    TaskDetails,
    TaskPage,
    TaskQuery,
    format_instant,
)

__all__ = [
    "CHANNELS",
    "MAX_PER_PAGE",
    "RESULT_STATUSES",
    "STATUSES",
    "TASKS_PATH",
    "ActivitiesClient",
    "ApiBadRequest",
    "ApiBadResponse",
    "ApiBusy",
    "ApiCircuitOpen",
    "ApiClientError",
    "ApiError",
    "ApiForbidden",
    "ApiNameNotFound",
    "ApiNotConfigured",
    "ApiServerError",
    "ApiTimeout",
    "ApiTlsError",
    "ApiUnauthorized",
    "ApiUnavailable",
    "Assignment",
    "CircuitBreaker",
    "Commerce",
    "Label",
    "Operator",
    "PageMeta",
    "Result",
    "Route",
    "Task",
    "TaskDetails",
    "TaskPage",
    "TaskQuery",
    "circuit_open",
    "format_instant",
    "get_client",
    "list_tasks",
    "parse_page",
    "request_id",
    "ShapeError",
    "safe_url",
    "task_from_dict",
    "task_to_dict",
]
