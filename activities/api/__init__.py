"""The Integration API, as the rest of the dashboard sees it: `from activities import api`.

Typed records, one readable exception family, and `list_tasks`. (Transitional: re-exports
`activities.client` until the client moves into this package.)
"""

from activities.client import *  # noqa: F403
from activities.client import (  # noqa: F401
    CHANNELS,
    MAX_PER_PAGE,
    RESULT_STATUSES,
    STATUSES,
    TASKS_PATH,
    circuit_open,
    get_client,
    list_tasks,
    request_id,
)
