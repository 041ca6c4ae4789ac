"""A faithful fake of the Integration API's List Activities endpoint.

Standard library only, for demos (``python -m sandbox``) and for tests over real HTTP::

    server = make_server(port=0).start()
    ...  # GET f"{server.url}{TASKS_PATH}" with header x-api-key: DEMO_KEY
    server.set_fault("503", times=2)  # then the third request succeeds; see FAULTS
    server.stop()

People switch faults in a browser at ``f"{server.url}/_sandbox/"`` (no key needed).
"""

from .data import generate_tasks
from .server import (
    CONTROL_PATH,
    DEMO_KEY,
    FAULT_PATH,
    FAULTS,
    FORBIDDEN_KEY,
    TASKS_PATH,
    SandboxServer,
    make_server,
)

__all__ = [
    "CONTROL_PATH",
    "DEMO_KEY",
    "FAULTS",
    "FAULT_PATH",
    "FORBIDDEN_KEY",
    "TASKS_PATH",
    "SandboxServer",
    "generate_tasks",
    "make_server",
]
