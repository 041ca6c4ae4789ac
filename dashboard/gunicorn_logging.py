"""gunicorn's logger, writing the same access lines without escaping every header first."""

from __future__ import annotations

import functools
import re

from gunicorn import glogging

# What gunicorn's own atoms read from the environ besides the headers and variables it
# copies whole for the `{name}i`, `{name}o` and `{name}e` atoms (`u` reads the
# Authorization header).
_BASE_ENVIRON = (
    "REMOTE_ADDR",
    "REQUEST_METHOD",
    "RAW_URI",
    "SERVER_PROTOCOL",
    "PATH_INFO",
    "QUERY_STRING",
    "HTTP_REFERER",
    "HTTP_USER_AGENT",
    "HTTP_AUTHORIZATION",
)
_ATOM = re.compile(r"%\(([^)]*)\)")


@functools.cache
def _names_any_header(access_log_format: str) -> bool:
    """Whether the format prints a request or response header or an environ variable."""
    return any(name.startswith("{") for name in _ATOM.findall(access_log_format))


class _Bare:
    """The response as the base atoms see it: its status and size, no headers."""

    __slots__ = ("status", "sent", "headers")

    def __init__(self, resp) -> None:
        self.status = resp.status
        self.sent = getattr(resp, "sent", None)
        self.headers = ()


class Logger(glogging.Logger):
    """gunicorn's Logger, whose access line builds an atom for every request header,
    response header and environ variable (about 60 on a page) and escapes each, to
    print the nine the default format names: about half the line's cost, in every
    request (bench/README.md, "Eighth pass"). When the format names no `{…}` atom,
    the atoms are gunicorn's own made without those; otherwise they are all made."""

    def atoms(self, resp, req, environ, request_time):
        if _names_any_header(self.cfg.access_log_format):
            return super().atoms(resp, req, environ, request_time)
        base = {key: environ[key] for key in _BASE_ENVIRON if key in environ}
        return super().atoms(_Bare(resp), (), base, request_time)
