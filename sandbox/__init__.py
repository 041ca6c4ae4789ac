"""A faithful fake of the Integration API's List Activities endpoint.

Standard library only, for demos (``python -m sandbox``) and for tests over real HTTP::

    server = make_server(port=0).start()
    ...  # GET f"{server.url}{TASKS_PATH}" with header x-api-key: DEMO_KEY
    server.stop()
"""

from .data import generate_tasks
from .server import (
    DEMO_KEY,
    FORBIDDEN_KEY,
    TASKS_PATH,
    SandboxServer,
    make_server,
)

__all__ = [
    "DEMO_KEY",
    "FORBIDDEN_KEY",
    "TASKS_PATH",
    "SandboxServer",
    "generate_tasks",
    "make_server",
]
