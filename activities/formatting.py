"""Formatting helpers for the task templates (registered in dashboard/jinja2.py).

Kept out of the templates so they can be tested, and cheap because a 100-row table
calls them a few thousand times.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, urlencode

import markupsafe
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from . import l10n, presenter

EMPTY = "—"

# MarkupSafe's C escaping of a str, returning a str (no `Markup` per value), called
# directly: a Python wrapper around it cost more than the escaping.
escape_text = getattr(markupsafe, "_escape_inner", None) or (
    lambda value: str(markupsafe.escape(value))
)

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


# What quote_plus leaves as it is (urllib.parse's always-safe characters).
_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


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
            before, after = self._around.get(name) or self._split(name)
            # As urlencode({name: value}): only the value is quoted per link, and most
            # (codes, ids) need no quoting, which quote_plus takes some microseconds to see.
            value = str(value)
            quoted = value if _URL_SAFE(value) else quote_plus(value)
            link = self._links[(name, value)] = f"{before}{quoted}{after}"
        return link

    def _split(self, name: str) -> tuple[str, str]:
        """('?before&name=', '&after'): a link's URL around its value, the parameter in
        its place if the URL has it already, as in querystring()."""
        keys = list(self._params)
        at = keys.index(name) if name in keys else len(keys)
        before = urlencode({k: self._params[k] for k in keys[:at]})
        after = urlencode({k: self._params[k] for k in keys[at + 1 :]})
        around = (f"?{before}{'&' if before else ''}{quote_plus(name)}=", after and f"&{after}")
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


# The label of each "show only" link, by its parameter: a key of `_row_words()`.
_LINK_WORDS = {
    "status": "status",
    "channel": "channel",
    "external_commerce_id": "commerce",
    "external_operator_id": "operator",
}
# "09:41" for each minute of a day, by `hour * 60 + minute`, and ":05" for each second:
# no number formatting per time.
_HHMM = tuple(f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in range(60))
_SS = tuple(f":{second:02d}" for second in range(60))


def iso(value: datetime) -> str:
    """`value.isoformat()`, made from tables for the API's UTC instants ("…+00:00"):
    CPython's isoformat formats printf-style and was a tenth of a row's time."""
    if value.tzinfo is not UTC:
        return value.isoformat()
    day, micro = _iso_days.get(value.toordinal()) or _iso_day(value), value.microsecond
    fraction = f".{micro:06d}" if micro else ""
    return f"{day}{_HHMM[value.hour * 60 + value.minute]}{_SS[value.second]}{fraction}+00:00"


_iso_days: dict[int, str] = {}


def _iso_day(value: datetime) -> str:
    # "2026-11-29T" by the day's ordinal; a few thousand days at most in a process.
    day = f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
    if len(_iso_days) < 20_000:
        _iso_days[value.toordinal()] = day
    return day


class RowFormatter:
    """Turns tasks into `Row`s with the presenter's rules; built by the view, once per page.

    The zone, language and words are looked up once: each `timezone.localtime()` or
    translation lookup reads a context-local variable, and a 100-row table needs hundreds.
    What rows repeat is made once a page: each day's words, each "show only" link.
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
        self._today = self.today.toordinal()
        self._days: dict[int, tuple[str, str]] = {}
        self._shown: dict[tuple[str, str], tuple[str, str]] = {}
        self._slots: dict[tuple, tuple[str, str, str, str]] = {}

    def row(self, task) -> Row:
        now = self.now
        name, operator_id = presenter.operator_name(task), presenter.operator_id(task)
        row = Row(
            id=task.id,
            overdue=presenter.is_overdue(task, now),
            commerce=task.commerce_name or EMPTY,
            commerce_id=task.commerce_external_id or "",
            reason=presenter.reason_text(task) or EMPTY,
            channel=task.channel or EMPTY,
            state=presenter.lifecycle(task, now, self.codes),
            operator=name or operator_id or EMPTY,
            operator_id=operator_id if name else "",
            route=presenter.route_name(task) or presenter.route_code(task) or EMPTY,
            facts=self.facts(task),
            links=self.filter_links(task, operator_id),
        )
        if task.scheduled_at is not None:
            self._scheduled(task.scheduled_at, row)
        if task.result is not None:
            self._result(task, row)
        return row

    def _scheduled(self, at: datetime, row: Row) -> None:
        # An instant with another offset is the same key but reads differently (`iso`).
        texts = self._slots.get((at, at.tzinfo)) or self._slot(at)
        row.scheduled_iso, row.scheduled, row.scheduled_full, row.relative = texts

    def _slot(self, at: datetime) -> tuple[str, str, str, str]:
        """A scheduled time's four texts: made once a page, as tasks share their slots
        (a route's visits at 09:00, 09:15...)."""
        day, hhmm = self._day_and_time(at)
        short, full = day[1] + hhmm, day[0] + hhmm
        when = relative(at, self.now, self.relative_texts)
        if ", " in short:
            # Another day: the date says enough in the row, "3 days ago" is a tooltip.
            full, when = f"{full} ({when})", ""
        texts = self._slots[at, at.tzinfo] = (iso(at), short, full, when)
        return texts

    def _result(self, task, row: Row) -> None:
        status, result = presenter.result_status(task), task.result
        if not status:
            return
        row.result = presenter.code_text(status, self.codes) or ""
        row.result_tone = RESULT_TONES.get(status, "neutral")
        if result.occurred_at is not None:
            row.result_iso = iso(result.occurred_at)
            row.result_when = self.short(result.occurred_at)

    def facts(self, task) -> list[tuple[str, str]]:
        """The details a row opens to, leaving out what the task does not say."""
        w, when, result = self.words, self.when, task.result
        facts = [
            (w["origin"], presenter.code_text(task.origin, self.codes)),
            (w["created"], when(task.created_at)),
            (w["handled"], when(task.occurred_at)),
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
                (w["result_recorded"], when(result.created_at)),
            ]
            if result.details:
                facts += [(key, plain(value)) for key, value in result.details.items()]
        return [fact for fact in facts if fact[1] and fact[1] != EMPTY]

    def filter_links(self, task, operator_id: str | None) -> list[tuple[str, str]]:
        """'Show only …' links for the row's details: its status, channel, commerce, and
        operator (`operator_id`, the presenter's, which `row` has worked out already).

        Each (text, URL) is made once a page.
        """
        shown = self._shown
        return [
            shown.get(pair) or self._link(*pair)
            for pair in (
                ("status", task.status),
                ("channel", task.channel),
                ("external_commerce_id", task.commerce_external_id),
                ("external_operator_id", operator_id),
            )
            if pair[1]
        ]

    def _link(self, name: str, value: str) -> tuple[str, str]:
        shown = presenter.code_text(value, self.codes) if name == "status" else value
        text = f"{self.words[_LINK_WORDS[name]]}: {shown}"
        link = self._shown[(name, value)] = (text, self.links(name, value))
        return link

    def when(self, value: datetime | None) -> str:
        """As `day_time()`: 'Sun 29 Nov 2026, 09:00' in the viewer's zone and language."""
        if value is None:
            return EMPTY
        day, hhmm = self._day_and_time(value)
        return day[0] + hhmm

    def short(self, value: datetime) -> str:
        """'09:41' today, else 'Sun 29 Nov, 09:41': as `clock()`, for the narrow columns."""
        day, hhmm = self._day_and_time(value)
        return day[1] + hhmm

    def _day_and_time(self, value: datetime) -> tuple[tuple[str, str], str]:
        """(`_day()`'s pair, '09:41') for `value` in the viewer's zone."""
        local = value.astimezone(self.tz)
        day = self._days.get(local.toordinal()) or self._day(local)
        return day, _HHMM[local.hour * 60 + local.minute]

    def _day(self, local: datetime) -> tuple[str, str]:
        """('Sun 29 Nov 2026, ', 'Sun 29 Nov, '), the second '' today: made once a page
        (kept in `_days` by the day's ordinal)."""
        name = f"{self.weekdays[local.weekday()]} {local.day:02d} {self.months[local.month - 1]}"
        short = "" if local.toordinal() == self._today else f"{name}, "
        day = self._days[local.toordinal()] = (f"{name} {local.year}, ", short)
        return day
