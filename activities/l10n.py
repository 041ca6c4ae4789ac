"""Words the pages repeat on every row, in the active language, translated once and cached.

Dates: "Sun 29 Nov 2026, 09:00", "dom 29 nov 2026, 09:00". strftime's %a and %b always
speak the C locale's English, and switching the process locale per request is not
thread-safe, so the abbreviated day and month names are messages of our own catalogue.
Digits and their order are the same in English and Spanish: only the names change.

A gettext call costs a few microseconds and a 100-row table needs a few thousand
translated words, so `per_language` builds each table of words once per language.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from django.utils.translation import pgettext_lazy

T = TypeVar("T")

# Monday first, as date.weekday() counts.
_WEEKDAYS = (
    pgettext_lazy("abbreviated weekday", "Mon"),
    pgettext_lazy("abbreviated weekday", "Tue"),
    pgettext_lazy("abbreviated weekday", "Wed"),
    pgettext_lazy("abbreviated weekday", "Thu"),
    pgettext_lazy("abbreviated weekday", "Fri"),
    pgettext_lazy("abbreviated weekday", "Sat"),
    pgettext_lazy("abbreviated weekday", "Sun"),
)
_MONTHS = (
    pgettext_lazy("abbreviated month", "Jan"),
    pgettext_lazy("abbreviated month", "Feb"),
    pgettext_lazy("abbreviated month", "Mar"),
    pgettext_lazy("abbreviated month", "Apr"),
    pgettext_lazy("abbreviated month", "May"),
    pgettext_lazy("abbreviated month", "Jun"),
    pgettext_lazy("abbreviated month", "Jul"),
    pgettext_lazy("abbreviated month", "Aug"),
    pgettext_lazy("abbreviated month", "Sep"),
    pgettext_lazy("abbreviated month", "Oct"),
    pgettext_lazy("abbreviated month", "Nov"),
    pgettext_lazy("abbreviated month", "Dec"),
)


_built: list[Callable[[str | None], Any]] = []


def per_language(build: Callable[[], T]) -> Callable[[], T]:
    """Wrap `build` so that it runs once per language, with that language active.

    Calling the result returns what `build()` returned for the active language: about
    a microsecond, most of it finding out which language is active.
    """

    @functools.cache
    def built_in(language: str | None) -> T:
        with translation.override(language):
            return build()

    _built.append(built_in)

    def for_active_language() -> T:
        return built_in(translation.get_language())

    return for_active_language


def forget() -> None:
    """Drop every cached translation, e.g. after a catalogue was compiled again."""
    for built_in in _built:
        built_in.cache_clear()


@receiver(setting_changed)
def _forget_on_change(*, setting: str, **kwargs: Any) -> None:
    # The catalogues Django reads may have changed with these (tests).
    # Number formats too: formatting.number keeps what it printed per language.
    if setting in (
        "LANGUAGES",
        "LANGUAGE_CODE",
        "LOCALE_PATHS",
        "FORMAT_MODULE_PATH",
        "USE_THOUSAND_SEPARATOR",
        "THOUSAND_SEPARATOR",
        "NUMBER_GROUPING",
    ):
        forget()


@per_language
def names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(weekdays Monday first, months January first), abbreviated, in the active language."""
    return tuple(map(str, _WEEKDAYS)), tuple(map(str, _MONTHS))


def day_month(day: date) -> str:
    """'Sun 29 Nov' ('dom 29 nov'): the day of the month without a leading zero."""
    weekdays, months = names()
    return f"{weekdays[day.weekday()]} {day.day} {months[day.month - 1]}"


def day_month_year(day: date) -> str:
    """'29 Nov 2026' ('29 nov 2026'), as strftime's '%d %b %Y'."""
    months = names()[1]
    return f"{day.day:02d} {months[day.month - 1]} {day.year}"


def day_time(local: datetime) -> str:
    """'Sun 29 Nov 2026, 09:00' ('dom 29 nov 2026, 09:00'), as '%a %d %b %Y, %H:%M'."""
    weekdays, months = names()
    return (
        f"{weekdays[local.weekday()]} {local.day:02d} {months[local.month - 1]} {local.year}, "
        f"{local.hour:02d}:{local.minute:02d}"
    )


def short_day_time(local: datetime) -> str:
    """'Sun 29 Nov, 09:00' ('dom 29 nov, 09:00'), as '%a %d %b, %H:%M'."""
    weekdays, months = names()
    return (
        f"{weekdays[local.weekday()]} {local.day:02d} {months[local.month - 1]}, "
        f"{local.hour:02d}:{local.minute:02d}"
    )
