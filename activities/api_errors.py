"""How the dashboard's own pages answer when the task service fails: one helper for all.

The task list, the refresh, /readyz and the exports turn an `ApiError` into their
answer here, so the status, the log line and the wording are the same everywhere.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from activities import api

logger = logging.getLogger("activities.views")

PLAIN_TEXT = "text/plain; charset=utf-8"


def log_failure(what: str, exc: api.ApiError) -> None:
    """One warning line: what failed, the error's kind and its detail (key-free)."""
    logger.warning("%s failed: %s %s", what, type(exc).__name__, exc.detail or exc)


def error_response(
    request: HttpRequest,
    exc: api.ApiError,
    *,
    what: str,
    template: str | None = None,
    context: dict | None = None,
) -> HttpResponse:
    """The page's answer to `exc`, logged as `what` failing, with the error's status.

    With a `template`, it is rendered with `context` plus `error`; without, the answer
    is plain text: the title, then the sentence (for downloads).
    """
    log_failure(what, exc)
    if template is not None:
        return render(request, template, {**(context or {}), "error": exc}, status=exc.http_status)
    text = f"{exc.title}.\n{exc}\n"
    return HttpResponse(text, status=exc.http_status, content_type=PLAIN_TEXT)
