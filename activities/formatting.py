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
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext, pgettext_lazy
from markupsafe import Markup, escape

from . import l10n

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

# The codes the document lists (status, result, lifecycle, origin) in words. Other codes
# are shown as they come, made readable. The words describe a task ("Completed"), hence
# the context: Spanish agrees them with "tarea".
_CODE_WORDS = {
    "PENDING": pgettext_lazy("task status", "Pending"),
    "IN_PROGRESS": pgettext_lazy("task status", "In progress"),
    "COMPLETED": pgettext_lazy("task status", "Completed"),
    "CANCELLED": pgettext_lazy("task status", "Cancelled"),
    "SCHEDULED": pgettext_lazy("task status", "Scheduled"),
    "OVERDUE": pgettext_lazy("task status", "Overdue"),
    "DISPATCH_FAILED": pgettext_lazy("task status", "Dispatch failed"),
    "EFFECTIVE": pgettext_lazy("task status", "Effective"),
    "NOT_EFFECTIVE": pgettext_lazy("task status", "Not effective"),
    "ACTIVITY": pgettext_lazy("task origin", "Activity"),
    "STANDALONE": pgettext_lazy("task origin", "Standalone"),
}


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


class FilterLinks:
    """Links that add one filter to the current view: `links("channel", "SALESMAN")`.

    The same URLs as `querystring(request, channel="SALESMAN", page=None)`, for the
    hundreds a table needs: the rest of the query string is encoded once per
    parameter name, and each link once per value.
    """

    def __init__(self, request: HttpRequest) -> None:
        self._params = {k: v for k, v in request.GET.items() if v != "" and k != "page"}
        self._around: dict[str, tuple[str, str]] = {}
        self._links: dict[tuple[str, str], str] = {}

    def __call__(self, name: str, value: str) -> str:
        link = self._links.get((name, value))
        if link is None:
            before, after = self._around.get(name) or self._split(name)
            pair = urlencode({name: value})
            link = "?" + "&".join(part for part in (before, pair, after) if part)
            self._links[(name, value)] = link
        return link

    def _split(self, name: str) -> tuple[str, str]:
        # A parameter already in the URL keeps its place, as in querystring().
        keys = list(self._params)
        at = keys.index(name) if name in keys else len(keys)
        around = (
            urlencode({k: self._params[k] for k in keys[:at]}),
            urlencode({k: self._params[k] for k in keys[at + 1 :]}),
        )
        self._around[name] = around
        return around


def local(value: datetime | None) -> datetime | None:
    return timezone.localtime(value) if value is not None else None


def day_time(value: datetime | None) -> str:
    """'Sun 29 Nov 2026, 09:00' in the current time zone and language, or a dash."""
    if value is None:
        return EMPTY
    return l10n.day_time(timezone.localtime(value))


def iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def tone(value: str | None, tones: Mapping[str, str]) -> str:
    """A badge colour for a status; statuses the dashboard does not know are neutral."""
    return tones.get(value or "", "neutral")


def humanize(value: str | None) -> str:
    """'NOT_EFFECTIVE' → 'Not effective' ('No efectiva'); unknown codes stay readable."""
    if not value:
        return EMPTY
    words = _code_words().get(value)
    if words is not None:
        return words
    return value.replace("_", " ").capitalize()


@l10n.per_language
def _code_words() -> dict[str, str]:
    return {code: str(words) for code, words in _CODE_WORDS.items()}


def number(value: int) -> str:
    """A count with the language's thousands separator: '1,234' ('1 234' in Spanish)."""
    return number_format(value, force_grouping=True)


def plain(value: Any) -> str:
    """A JSON value from the API as short text: strings as they are, the rest as JSON."""
    if value is None:
        return EMPTY
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return json.dumps(value, ensure_ascii=False)


def clock(value: datetime | None) -> str:
    """'09:41' in the current time zone, with the date when it is not today."""
    if value is None:
        return EMPTY
    local = timezone.localtime(value)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return l10n.short_day_time(local)


def age(seconds: int) -> str:
    """'just now', '12 s ago', '3 min ago', '2 h ago' ('hace un momento', 'hace 12 s', ...)."""
    if seconds < 2:
        return gettext("just now")
    if seconds < 60:
        return ngettext("%(count)d s ago", "%(count)d s ago", seconds) % {"count": seconds}
    if seconds < 3600:
        count = seconds // 60
        return ngettext("%(count)d min ago", "%(count)d min ago", count) % {"count": count}
    count = seconds // 3600
    return ngettext("%(count)d h ago", "%(count)d h ago", count) % {"count": count}


def relative(value: datetime | None, now: datetime) -> str:
    """'in 2 h', '3 days ago', 'in 25 min', 'now' ('en 2 h', 'hace 3 días', 'ahora').

    How far `value` is from `now`. Each text is made once per language and kept: a
    table repeats the same few dozen.
    """
    if value is None:
        return ""
    seconds = (value - now).total_seconds()
    ahead = seconds >= 0
    seconds = abs(seconds)
    if seconds < 60:
        unit, count = "now", 0
    elif seconds < 3600:
        unit, count = "min", int(seconds // 60)
    elif seconds < 86400:
        unit, count = "h", int(seconds // 3600)
    else:
        unit, count = "day", int(seconds // 86400)
    texts = _relative_texts()
    key = (unit, ahead, count)
    text = texts.get(key)
    if text is None:
        text = texts[key] = _relative_text(unit, ahead, count)
    return text


@l10n.per_language
def _relative_texts() -> dict[tuple[str, bool, int], str]:
    return {}


def _relative_text(unit: str, ahead: bool, count: int) -> str:
    # Whole sentences per unit and direction, so that a language may put the number
    # where it belongs ("hace 3 días").
    if unit == "now":
        return gettext("now")
    if unit == "min":
        if ahead:
            text = ngettext("in %(count)d min", "in %(count)d min", count)
        else:
            text = ngettext("%(count)d min ago", "%(count)d min ago", count)
    elif unit == "h":
        if ahead:
            text = ngettext("in %(count)d h", "in %(count)d h", count)
        else:
            text = ngettext("%(count)d h ago", "%(count)d h ago", count)
    elif ahead:
        text = ngettext("in %(count)d day", "in %(count)d days", count)
    else:
        text = ngettext("%(count)d day ago", "%(count)d days ago", count)
    return text % {"count": count}


def is_overdue(task, now: datetime) -> bool:
    """A pending task whose scheduled time has passed."""
    return task.status == "PENDING" and task.scheduled_at is not None and task.scheduled_at < now


def page_title(filters: list[tuple[str, str, str]]) -> str:
    """'Pending · CALLCENTER · Today — Tasks', so bookmarks get useful names."""
    values = [text for _, _, text in filters]
    if not values:
        return gettext("Tasks")
    return gettext("%(filters)s — Tasks") % {"filters": " · ".join(values)}


class RowFormatter:
    """The per-row work of a task table, with the zone and language looked up once.

    Each `timezone.localtime()` or translation lookup reads a context-local variable;
    a 100-row table needs several hundred, so the table asks this object instead.
    """

    def __init__(self, request: HttpRequest, now: datetime) -> None:
        self.now = now
        self.tz = timezone.get_current_timezone()
        self.weekdays, self.months = l10n.names()
        self.codes = _code_words()
        self.links = FilterLinks(request)
        self.show_only = gettext("Show only %(value)s")

    def when(self, value: datetime | None) -> str:
        """As `day_time()`: 'Sun 29 Nov 2026, 09:00' in the viewer's zone and language."""
        if value is None:
            return EMPTY
        local = value.astimezone(self.tz)
        return (
            f"{self.weekdays[local.weekday()]} {local.day:02d} "
            f"{self.months[local.month - 1]} {local.year}, {local.hour:02d}:{local.minute:02d}"
        )

    def code(self, value: str | None) -> str:
        """As `humanize()`."""
        if not value:
            return EMPTY
        words = self.codes.get(value)
        return words if words is not None else value.replace("_", " ").capitalize()

    def relative(self, value: datetime | None) -> str:
        return relative(value, self.now)

    def link(self, name: str, value: str | None, shown: str | None = None) -> Markup | str:
        """A link that adds the filter `name=value` to the view, or a dash."""
        if not value:
            return EMPTY
        text = escape(shown or value)
        href = escape(self.links(name, value))
        title = escape(self.show_only % {"value": shown or value})
        # f-strings of escaped parts: Markup.format() cost more than the rest of a row.
        return Markup(f'<a class="add-filter" href="{href}" title="{title}">{text}</a>')  # noqa: S704  # nosec B704

    def status_link(self, status: str | None, badge: Markup) -> Markup:
        """The lifecycle badge as a link that filters by the task's status."""
        if not status:
            return badge
        href = escape(self.links("status", status))
        title = escape(self.show_only % {"value": self.code(status)})
        return Markup(f'<a class="add-filter" href="{href}" title="{title}">{badge}</a>')  # noqa: S704  # nosec B704
