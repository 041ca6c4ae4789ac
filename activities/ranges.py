"""Relative date ranges ("today", "this week", ...) that stay relative.

A bookmark such as `/tasks/?range=today&status=PENDING` must show *today's* tasks
whenever it is opened, so the URL keeps the token and this module turns it into
instants at request time. It is pure: the viewer's time zone and "now" are
arguments, nothing here reads settings, the clock or the request.

Days are local calendar days in that time zone. A day starts at the first instant
that exists on its date (usually 00:00; 01:00 where the clocks jump over midnight,
as in America/Santiago on 2026-09-06; the *first* 00:00 where midnight repeats, as
in America/Havana on 2026-11-01) and ends one microsecond before the next day
starts, so 23- and 25-hour days come out right.

The instants are returned in UTC. Aware datetimes in a zone with DST are a trap:
`-` and `+` on them work on wall-clock time (01:00 minus 1 microsecond on a day
that skipped midnight is a time that never happened), and an instant in a repeated
hour never compares equal to the same instant in another zone (PEP 495). UTC has
neither problem; `describe()` and the templates convert to local time for display.

Every user-facing word goes through `gettext` and lives in this module, except the
day and month names, which `activities.l10n` shares with the rest of the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.utils.translation import gettext, gettext_noop

from .l10n import day_month

# The tokens in the order the filter bar shows them.
RANGE_TOKENS: tuple[str, ...] = (
    "overdue",
    "yesterday",
    "today",
    "tomorrow",
    "this_week",
    "last_7_days",
    "next_7_days",
    "this_month",
)

# Short button labels. Marked for makemessages here, translated when asked for.
_LABELS: dict[str, str] = {
    "overdue": gettext_noop("Overdue"),
    "yesterday": gettext_noop("Yesterday"),
    "today": gettext_noop("Today"),
    "tomorrow": gettext_noop("Tomorrow"),
    "this_week": gettext_noop("This week"),
    "last_7_days": gettext_noop("Last 7 days"),
    "next_7_days": gettext_noop("Next 7 days"),
    "this_month": gettext_noop("This month"),
}

_ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class ResolvedRange:
    """A token resolved against one "now" in one time zone.

    `start` and `end` are aware instants in UTC, both inclusive (`end` is the last
    microsecond, local ...59.999999); None means open on that side.
    `first_day` and `last_day` are the local calendar days covered, for display
    (None for `overdue`). `start <= end` whenever both are set.
    """

    token: str
    start: datetime | None
    end: datetime | None
    first_day: date | None
    last_day: date | None


def token_label(token: str) -> str:
    """The short button label for `token`, e.g. "Today"; ValueError if unknown."""
    try:
        return gettext(_LABELS[token])
    except KeyError:
        raise ValueError(f"Unknown date range: {token!r}") from None


def resolve(token: str, *, now: datetime, tz: tzinfo, week_start: int = 0) -> ResolvedRange:
    """Turn `token` into instants, as seen at `now` by a viewer in `tz`.

    - `yesterday`, `today`, `tomorrow`: one local day (see the module docstring).
      Should the zone have skipped the whole neighbouring date (Pacific/Apia skipped
      2011-12-30), the nearest date that existed is used instead.
    - `this_week`: the 7 local days of the week containing today, weeks starting on
      `week_start` (0 = Monday ... 6 = Sunday, as `date.weekday()`).
    - `last_7_days`: today and the 6 days before; `next_7_days`: today and the 6 after.
    - `this_month`: the first to the last day of today's local month.
    - `overdue`: open start, `end` = `now` (tasks scheduled up to this instant). It
      says nothing about status: the view must combine it with `status=PENDING`.

    `now` must be aware (in any zone). Raises ValueError for an unknown token, a
    naive `now` or a `week_start` outside 0..6.
    """
    if token not in _LABELS:
        raise ValueError(f"Unknown date range: {token!r}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if not 0 <= week_start <= 6:
        raise ValueError(f"week_start must be 0 (Monday) to 6 (Sunday), not {week_start!r}")

    match token:
        case "overdue":
            return ResolvedRange(token, None, now.astimezone(UTC), None, None)
    first, last = _days(token, now.astimezone(tz).date(), tz, week_start)
    start = start_of_day(first, tz)
    end = start_of_day(last + timedelta(days=1), tz) - _ONE_MICROSECOND
    return ResolvedRange(token, start, end, first, last)


def _days(token: str, today: date, tz: tzinfo, week_start: int) -> tuple[date, date]:
    """The first and last local date of a range other than `overdue`."""
    match token:
        case "today":
            return today, today
        case "yesterday":
            day = _existing_day(today - timedelta(days=1), tz, step=-1)
            return day, day
        case "tomorrow":
            day = _existing_day(today + timedelta(days=1), tz, step=1)
            return day, day
        case "this_week":
            first = today - timedelta(days=(today.weekday() - week_start) % 7)
            return first, first + timedelta(days=6)
        case "last_7_days":
            return today - timedelta(days=6), today
        case "next_7_days":
            return today, today + timedelta(days=6)
        case _:  # "this_month", the only token left
            return today.replace(day=1), _first_of_next_month(today) - timedelta(days=1)


def start_of_day(day: date, tz: tzinfo) -> datetime:
    """The first instant that exists on local date `day` in `tz`, in UTC.

    Local midnight with fold=0, normalised through UTC: when midnight falls in a gap
    fold=0 takes the offset from before the jump, which lands on the first instant
    after it (01:00 for a 00:00->01:00 jump); when midnight repeats, fold=0 is the
    earlier of the two.
    """
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def _existing_day(day: date, tz: tzinfo, *, step: int) -> date:
    """`day`, or the nearest date in direction `step` that has any instant in `tz`."""
    # A date the zone skipped entirely starts where the next one does. Bounded: no
    # zone has ever skipped more than one date in a row.
    for _ in range(7):
        if start_of_day(day, tz) < start_of_day(day + timedelta(days=1), tz):
            return day
        day += timedelta(days=step)
    return day


def _first_of_next_month(day: date) -> date:
    if day.month == 12:
        return date(day.year + 1, 1, 1)
    return date(day.year, day.month + 1, 1)


# --- Words ---------------------------------------------------------------------------


def _day_words(day: date) -> str:
    # "Sun 29 Nov", "dom 29 nov": in the active language, not strftime's English.
    return day_month(day)


def describe(resolved: ResolvedRange, *, tz: tzinfo) -> str:
    """The range in words for the filter bar, with times shown in `tz`.

    "Today, Sun 29 Nov, 00:00–23:59", "This week, Mon 23 Nov – Sun 29 Nov",
    "Overdue: scheduled before Sun 29 Nov, 14:05". A one-day range shows the hours
    it really covers, so a day whose midnight does not exist reads "01:00–23:59".
    """
    label = token_label(resolved.token)
    if resolved.first_day is None or resolved.last_day is None:
        if resolved.end is None:
            return label
        end = resolved.end.astimezone(tz)
        return gettext("%(label)s: scheduled before %(day)s, %(time)s") % {
            "label": label,
            "day": _day_words(end.date()),
            "time": f"{end:%H:%M}",
        }
    if resolved.first_day == resolved.last_day and resolved.start and resolved.end:
        return gettext("%(label)s, %(day)s, %(start)s–%(end)s") % {
            "label": label,
            "day": _day_words(resolved.first_day),
            "start": f"{resolved.start.astimezone(tz):%H:%M}",
            "end": f"{resolved.end.astimezone(tz):%H:%M}",
        }
    return gettext("%(label)s, %(first)s – %(last)s") % {
        "label": label,
        "first": _day_words(resolved.first_day),
        "last": _day_words(resolved.last_day),
    }
