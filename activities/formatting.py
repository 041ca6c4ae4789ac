"""Formatting helpers for the task templates (registered in dashboard/jinja2.py).

Kept out of the templates so they can be tested, and cheap because a 100-row table
calls them a few thousand times.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.utils import timezone

EMPTY = "—"

LIFECYCLE_TONES = {
    "SCHEDULED": "info",
    "PENDING": "info",
    "IN_PROGRESS": "warning",
    "COMPLETED": "success",
    "CANCELLED": "muted",
    "OVERDUE": "danger",
    "DISPATCH_FAILED": "danger",
}
RESULT_TONES = {"EFFECTIVE": "success", "NOT_EFFECTIVE": "danger", "PENDING": "warning"}


def querystring(request: HttpRequest, **changes: Any) -> str:
    """The current query string with `changes` applied and empty values left out.

    Returns "?a=1&b=2", or "?" alone when nothing is left, so that a link to it
    still clears the query string.
    """
    params = {k: v for k, v in request.GET.items() if v != ""}
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params)


def local(value: datetime | None) -> datetime | None:
    return timezone.localtime(value) if value is not None else None


def day_time(value: datetime | None) -> str:
    """'Sun 29 Nov 2026, 09:00' in the current time zone, or a dash."""
    if value is None:
        return EMPTY
    return timezone.localtime(value).strftime("%a %d %b %Y, %H:%M")


def iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def tone(value: str | None, tones: Mapping[str, str]) -> str:
    """A badge colour for a status; statuses the dashboard does not know are neutral."""
    return tones.get(value or "", "neutral")


def humanize(value: str | None) -> str:
    """'NOT_EFFECTIVE' → 'Not effective'; unknown codes stay readable."""
    if not value:
        return EMPTY
    return value.replace("_", " ").capitalize()


def plain(value: Any) -> str:
    """A JSON value from the API as short text: strings as they are, the rest as JSON."""
    if value is None:
        return EMPTY
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    return json.dumps(value, ensure_ascii=False)


def clock(value: datetime | None) -> str:
    """'09:41' in the current time zone, with the date when it is not today."""
    if value is None:
        return EMPTY
    local = timezone.localtime(value)
    if local.date() == timezone.localdate():
        return local.strftime("%H:%M")
    return local.strftime("%a %d %b, %H:%M")


def age(seconds: int) -> str:
    """'just now', '12 s ago', '3 min ago', '2 h ago'."""
    if seconds < 2:
        return "just now"
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def relative(value: datetime | None, now: datetime) -> str:
    """'in 2 h', '3 days ago', 'in 25 min', 'now': how far `value` is from `now`."""
    if value is None:
        return ""
    seconds = (value - now).total_seconds()
    ahead = seconds >= 0
    seconds = abs(seconds)
    if seconds < 60:
        return "now"
    if seconds < 3600:
        amount = f"{int(seconds // 60)} min"
    elif seconds < 86400:
        amount = f"{int(seconds // 3600)} h"
    else:
        days = int(seconds // 86400)
        amount = f"{days} day" if days == 1 else f"{days} days"
    return f"in {amount}" if ahead else f"{amount} ago"


def is_overdue(task, now: datetime) -> bool:
    """A pending task whose scheduled time has passed."""
    return task.status == "PENDING" and task.scheduled_at is not None and task.scheduled_at < now


def page_title(filters: list[tuple[str, str, str]]) -> str:
    """'Pending · CALLCENTER · Today — Tasks', so bookmarks get useful names."""
    values = [text for _, _, text in filters]
    return " · ".join(values) + " — Tasks" if values else "Tasks"
