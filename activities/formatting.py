"""Formatting helpers for the task templates (registered in dashboard/jinja2.py).

Kept out of the templates so they can be tested, and cheap because a 100-row table
calls them a few thousand times.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus, urlencode

from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from . import l10n, presenter

EMPTY = "—"

# Kept under their old names for the callers that import them from here.
LIFECYCLE_TONES = presenter.LIFECYCLE_TONES
RESULT_TONES = presenter.RESULT_TONES


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

    def __init__(self, request: HttpRequest, drop: str | None = "page") -> None:
        # `drop`: the parameter a link leaves out unless it sets it (the page, by default).
        self._params = {k: v for k, v in request.GET.items() if v != "" and k != drop}
        # What the links depend on, in order: part of a rendered table's cache key.
        self.key = tuple(self._params.items())
        self._around: dict[str, tuple[str, str]] = {}
        self._links: dict[tuple[str, str], str] = {}

    def __call__(self, name: str, value: str) -> str:
        link = self._links.get((name, value))
        if link is None:
            value = str(value)
            before, after = self._around.get(name) or self._split(name)
            # As urlencode({name: value}), without building a dict and a list per link.
            pair = f"{quote_plus(name)}={quote_plus(value)}"
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


def day_time(value: datetime | None) -> str:
    """'Sun 29 Nov 2026, 09:00' in the current time zone and language, or a dash."""
    if value is None:
        return EMPTY
    return l10n.day_time(timezone.localtime(value))


def humanize(value: str | None) -> str:
    """'NOT_EFFECTIVE' → 'Not effective' ('No efectiva'); unknown codes stay readable."""
    return presenter.code_text(value) or EMPTY


def number(value: int) -> str:
    """A count with the language's thousands separator: '1,234' ('1 234' in Spanish)."""
    # Django's number_format looks the language's formats up on every call (~30 µs);
    # a page prints the same few counts (tabs, total) over and over.
    numbers = _numbers()
    text = numbers.get(value)
    if text is None:
        text = number_format(value, force_grouping=True)
        if len(numbers) < 10_000:
            numbers[value] = text
    return text


@l10n.per_language
def _numbers() -> dict[int, str]:
    return {}


def plain(value: Any) -> str:
    """A JSON value from the API as short text: strings as they are, the rest as JSON."""
    if value is None:
        return EMPTY
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, int | float):
        # What json.dumps writes for a number, without the encoder's set-up per call.
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


class Clock:
    """`clock` for a whole table: the time zone and today looked up once, not per cell
    (each lookup reads the clock and the request's zone)."""

    def __init__(self) -> None:
        self.tz = timezone.get_current_timezone()
        self.today = timezone.localdate()

    def __call__(self, value: datetime | None) -> str:
        if value is None:
            return EMPTY
        local = value.astimezone(self.tz)
        if local.date() == self.today:
            return f"{local:%H:%M}"
        return l10n.short_day_time(local)


def clock(value: datetime | None) -> str:
    """'09:41' in the current time zone, with the date when it is not today."""
    return Clock()(value)


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


def relative(value: datetime | None, now: datetime, texts: dict | None = None) -> str:
    """'in 2 h', '3 days ago', 'in 25 min', 'now' ('en 2 h', 'hace 3 días', 'ahora').

    How far `value` is from `now`. Each text is made once per language and kept: a
    table repeats the same few dozen. `texts` is `_relative_texts()`, passed in by a
    caller that formats many (finding the active language costs more than the rest).
    """
    if value is None:
        return ""
    texts = _relative_texts() if texts is None else texts
    key = relative_key(value, now)
    text = texts.get(key)
    if text is None:
        text = texts[key] = _relative_text(*key)
    return text


def relative_key(value: datetime, now: datetime) -> tuple[str, bool, int]:
    """(unit, ahead, count): what `relative()` says, before it is put in words."""
    seconds = (value - now).total_seconds()
    ahead = seconds >= 0
    seconds = abs(seconds)
    if seconds < 60:
        return "now", ahead, 0
    if seconds < 3600:
        return "min", ahead, int(seconds // 60)
    if seconds < 86400:
        return "h", ahead, int(seconds // 3600)
    return "day", ahead, int(seconds // 86400)


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


is_overdue = presenter.is_overdue


def page_title(filters: list[tuple[str, str, str]]) -> str:
    """'Pending · CALLCENTER · Today — Tasks', so bookmarks get useful names."""
    values = [text for _, _, text in filters]
    if not values:
        return gettext("Tasks")
    return gettext("%(filters)s — Tasks") % {"filters": " · ".join(values)}


@l10n.per_language
def _row_words() -> dict[str, str]:
    """The labels every row repeats, translated once per language rather than per row."""
    return {
        "origin": gettext("Origin"),
        "created": gettext("Created"),
        "handled": gettext("Handled"),
        "status_detail": gettext("Status detail"),
        "assignment": gettext("Assignment"),
        "user_status": gettext("User status"),
        "operator_type": gettext("Operator type"),
        "route_code": gettext("Route code"),
        "can_force_retry": gettext("Re-dispatch can be forced"),
        "yes": gettext("Yes"),
        "result_source": gettext("Result source"),
        "result_origin": gettext("Result origin"),
        "result_channel": gettext("Result channel"),
        "result_recorded": gettext("Result recorded"),
        "status": gettext("Status"),
        "channel": gettext("Channel"),
        "commerce": gettext("Commerce"),
        "operator": gettext("Operator"),
    }


@dataclass(slots=True)
class Row:
    """One task as the table shows it: text only, the template adds the markup."""

    id: str
    overdue: bool
    scheduled_iso: str = ""
    scheduled: str = ""
    scheduled_full: str = ""
    relative: str = ""
    commerce: str = EMPTY
    commerce_id: str = ""
    reason: str = EMPTY
    channel: str = EMPTY
    state: presenter.Lifecycle | None = None
    operator: str = EMPTY
    operator_id: str = ""
    route: str = EMPTY
    result: str = ""
    result_tone: str = "neutral"
    result_iso: str = ""
    result_when: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)


class RowFormatter:
    """Turns tasks into `Row`s with the presenter's rules; built by the view, once per page.

    The zone, language and words are looked up once: each `timezone.localtime()` or
    translation lookup reads a context-local variable, and a 100-row table needs hundreds.
    """

    def __init__(self, request: HttpRequest, now: datetime) -> None:
        self.now = now
        self.tz = timezone.get_current_timezone()
        self.weekdays, self.months = l10n.names()
        self.codes = presenter.code_words()
        self.words = _row_words()
        self.relative_texts = _relative_texts()
        self.links = FilterLinks(request)
        self.today = now.astimezone(self.tz).date()

    def row(self, task) -> Row:
        row = Row(id=task.id, overdue=presenter.is_overdue(task, self.now))
        if task.scheduled_at is not None:
            local = task.scheduled_at.astimezone(self.tz)
            row.scheduled_iso = task.scheduled_at.isoformat()
            row.scheduled = self._short(local)
            row.scheduled_full = self._when(local)
            row.relative = relative(task.scheduled_at, self.now, self.relative_texts)
            if ", " in row.scheduled:
                # Another day: the date says enough in the row, "3 days ago" is a tooltip.
                row.scheduled_full = f"{row.scheduled_full} ({row.relative})"
                row.relative = ""
        row.commerce = task.commerce_name or EMPTY
        row.commerce_id = task.commerce_external_id or ""
        row.reason = presenter.reason_text(task) or EMPTY
        row.channel = task.channel or EMPTY
        row.state = presenter.lifecycle(task, self.now, self.codes)
        name, operator_id = presenter.operator_name(task), presenter.operator_id(task)
        row.operator = name or operator_id or EMPTY
        row.operator_id = operator_id if name else ""
        row.route = presenter.route_name(task) or presenter.route_code(task) or EMPTY
        self._result(task, row)
        row.facts = self.facts(task)
        row.links = self.filter_links(task)
        return row

    def _result(self, task, row: Row) -> None:
        status = presenter.result_status(task)
        if task.result is None or not status:
            return
        row.result = presenter.code_text(status, self.codes) or ""
        row.result_tone = RESULT_TONES.get(status, "neutral")
        if task.result.occurred_at is not None:
            row.result_iso = task.result.occurred_at.isoformat()
            row.result_when = self.short(task.result.occurred_at)

    def facts(self, task) -> list[tuple[str, str]]:
        """The details a row opens to, leaving out what the task does not say."""
        w, result = self.words, task.result
        facts = [
            (w["origin"], presenter.code_text(task.origin, self.codes)),
            (w["created"], self.when(task.created_at)),
            (w["handled"], self.when(task.occurred_at)),
            (w["status_detail"], task.lifecycle_detail),
            (w["assignment"], presenter.assignment_reason(task)),
            (w["user_status"], presenter.user_status_text(task)),
            (w["operator_type"], presenter.operator_type(task)),
            # The row shows the route's name (its code when it has none): the code is here.
            (w["route_code"], presenter.route_code(task) if presenter.route_name(task) else None),
            (w["can_force_retry"], w["yes"] if task.can_force_retry_dispatch else None),
        ]
        if result is not None:
            facts += [
                (w["result_source"], result.source),
                (w["result_origin"], result.origin),
                (w["result_channel"], result.channel),
                (w["result_recorded"], self.when(result.created_at)),
            ]
            facts += [(key, plain(value)) for key, value in (result.details or {}).items()]
        return [(label, value) for label, value in facts if value and value != EMPTY]

    def filter_links(self, task) -> list[tuple[str, str]]:
        """'Show only …' links for the row's details: its status, channel, commerce, operator."""
        w = self.words
        pairs = [
            ("status", task.status, presenter.code_text(task.status, self.codes), w["status"]),
            ("channel", task.channel, task.channel, w["channel"]),
            ("external_commerce_id", task.commerce_external_id, None, w["commerce"]),
            ("external_operator_id", presenter.operator_id(task), None, w["operator"]),
        ]
        return [
            (f"{label}: {shown or value}", self.links(name, value))
            for name, value, shown, label in pairs
            if value
        ]

    def when(self, value: datetime | None) -> str:
        """As `day_time()`: 'Sun 29 Nov 2026, 09:00' in the viewer's zone and language."""
        if value is None:
            return EMPTY
        return self._when(value.astimezone(self.tz))

    def _when(self, local: datetime) -> str:
        return (
            f"{self.weekdays[local.weekday()]} {local.day:02d} "
            f"{self.months[local.month - 1]} {local.year}, {local.hour:02d}:{local.minute:02d}"
        )

    def short(self, value: datetime) -> str:
        """'09:41' today, else 'Sun 29 Nov, 09:41': as `clock()`, for the narrow columns."""
        return self._short(value.astimezone(self.tz))

    def _short(self, local: datetime) -> str:
        if local.date() == self.today:
            return f"{local.hour:02d}:{local.minute:02d}"
        return (
            f"{self.weekdays[local.weekday()]} {local.day:02d} "
            f"{self.months[local.month - 1]}, {local.hour:02d}:{local.minute:02d}"
        )
