"""Gives every request an id that follows it into the API call and the log lines."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

# Set per incoming request below; the API client sends it upstream and logs it.
request_id: ContextVar[str] = ContextVar("activities_request_id", default="-")

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_middleware(get_response):
    def middleware(request):
        # A proxy's id is kept when it is sane; otherwise a new one is made.
        # From META: `request.headers` builds a dict of every header on first use.
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = given if _SAFE_ID.fullmatch(given) else secrets.token_hex(8)
        token = request_id.set(rid)
        try:
            response = get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = rid
        return response

    return middleware
