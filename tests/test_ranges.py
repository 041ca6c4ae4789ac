"""Relative date ranges: local calendar days across zones, DST edges, weeks and months."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from activities import ranges
from activities.ranges import RANGE_TOKENS, ResolvedRange, describe, resolve, token_label

SANTIAGO = ZoneInfo("America/Santiago")
MADRID = ZoneInfo("Europe/Madrid")
HAVANA = ZoneInfo("America/Havana")
KOLKATA = ZoneInfo("Asia/Kolkata")
AUCKLAND = ZoneInfo("Pacific/Auckland")
CHATHAM = ZoneInfo("Pacific/Chatham")
APIA = ZoneInfo("Pacific/Apia")

ONE_US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)


def at(tz, *args, fold=0) -> datetime:
    """A local wall time in `tz` (fold=1 for the second of a repeated hour)."""
    return datetime(*args, tzinfo=tz, fold=fold)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local_date(instant: datetime, tz) -> date:
    return instant.astimezone(tz).date()


def hours(r: ResolvedRange) -> float:
    return (r.end - r.start + ONE_US) / HOUR


# --- Tokens and labels -----------------------------------------------------------------


def test_tokens_in_display_order():
    shown = "overdue yesterday today tomorrow this_week last_7_days next_7_days this_month"
    assert " ".join(RANGE_TOKENS) == shown


def test_every_token_has_a_label():
    assert [token_label(t) for t in RANGE_TOKENS] == [
        "Overdue",
        "Yesterday",
        "Today",
        "Tomorrow",
        "This week",
        "Last 7 days",
        "Next 7 days",
        "This month",
    ]


@pytest.mark.parametrize("token", ["", "Today", "last_week", "today ", "next_30_days"])
def test_an_unknown_token_is_a_value_error(token):
    with pytest.raises(ValueError, match="Unknown date range"):
        resolve(token, now=utc(2026, 11, 29, 12), tz=SANTIAGO)
    with pytest.raises(ValueError, match="Unknown date range"):
        token_label(token)


def test_a_naive_now_is_a_value_error():
    with pytest.raises(ValueError, match="aware"):
        resolve("today", now=datetime(2026, 11, 29, 12), tz=SANTIAGO)


@pytest.mark.parametrize("week_start", [-1, 7])
def test_week_start_must_be_a_weekday_number(week_start):
    with pytest.raises(ValueError, match="week_start"):
        resolve("this_week", now=utc(2026, 11, 29, 12), tz=SANTIAGO, week_start=week_start)


# --- Single days -----------------------------------------------------------------------


def test_today_is_local_midnight_to_the_last_microsecond():
    r = resolve("today", now=at(SANTIAGO, 2026, 11, 29, 14, 5), tz=SANTIAGO)
    assert r == ResolvedRange(
        "today",
        at(SANTIAGO, 2026, 11, 29, 0, 0),
        at(SANTIAGO, 2026, 11, 29, 23, 59, 59, 999999),
        date(2026, 11, 29),
        date(2026, 11, 29),
    )
    # In UTC, where arithmetic and comparisons are exact.
    assert r.start.tzinfo is UTC and r.end.tzinfo is UTC


def test_now_in_utc_is_resolved_in_the_viewers_zone():
    now = utc(2026, 11, 30, 2, 0)  # 23:00 on 29 Nov in Santiago (-03)
    santiago = resolve("today", now=now, tz=SANTIAGO)
    assert santiago.first_day == date(2026, 11, 29)
    assert santiago.start == utc(2026, 11, 29, 3, 0)
    assert santiago.end == utc(2026, 11, 30, 2, 59, 59, 999999)

    in_utc = resolve("today", now=now, tz=UTC)
    assert in_utc.first_day == date(2026, 11, 30)
    assert in_utc.start == utc(2026, 11, 30)


def test_yesterday_and_tomorrow():
    now = at(SANTIAGO, 2026, 11, 29, 0, 0)  # the very first instant of the day
    yesterday = resolve("yesterday", now=now, tz=SANTIAGO)
    tomorrow = resolve("tomorrow", now=now, tz=SANTIAGO)
    assert (yesterday.first_day, yesterday.last_day) == (date(2026, 11, 28),) * 2
    assert yesterday.start == at(SANTIAGO, 2026, 11, 28, 0, 0)
    assert yesterday.end == now - ONE_US
    assert (tomorrow.first_day, tomorrow.last_day) == (date(2026, 11, 30),) * 2
    assert tomorrow.start == at(SANTIAGO, 2026, 11, 30, 0, 0)


def test_year_boundaries():
    now = at(MADRID, 2026, 12, 31, 23, 59, 59, 999999)
    assert resolve("tomorrow", now=now, tz=MADRID).start == at(MADRID, 2027, 1, 1)
    jan_first = at(MADRID, 2027, 1, 1, 0, 0)
    assert resolve("yesterday", now=jan_first, tz=MADRID).first_day == date(2026, 12, 31)


# --- DST and odd offsets ---------------------------------------------------------------


def test_zoneinfo_agrees_with_the_santiago_dates_these_tests_assume():
    # Clocks go back at 24:00 on 4 Apr 2026 (23:00-24:00 repeats) and jump from
    # 00:00 to 01:00 on 6 Sep 2026 (midnight does not exist).
    assert at(SANTIAGO, 2026, 4, 4, 23, 30).utcoffset() == timedelta(hours=-3)
    assert at(SANTIAGO, 2026, 4, 4, 23, 30, fold=1).utcoffset() == timedelta(hours=-4)
    gap = at(SANTIAGO, 2026, 9, 6, 0, 30)
    assert gap.astimezone(UTC).astimezone(SANTIAGO).hour == 1  # does not round-trip


def test_santiago_day_without_midnight_starts_at_one():
    r = resolve("today", now=at(SANTIAGO, 2026, 9, 6, 12), tz=SANTIAGO)
    assert r.start == utc(2026, 9, 6, 4, 0)
    local_start = r.start.astimezone(SANTIAGO)
    assert (local_start.hour, local_start.minute) == (1, 0)
    assert local_start.utcoffset() == timedelta(hours=-3)
    assert r.end == at(SANTIAGO, 2026, 9, 6, 23, 59, 59, 999999)
    assert hours(r) == 23
    # The day before ends exactly where it starts: no gap, no overlap.
    before = resolve("yesterday", now=at(SANTIAGO, 2026, 9, 6, 12), tz=SANTIAGO)
    assert before.end == r.start - ONE_US
    assert before.end.astimezone(SANTIAGO).utcoffset() == timedelta(hours=-4)
    assert before.end.astimezone(SANTIAGO).time() == time(23, 59, 59, 999999)
    assert hours(before) == 24


def test_santiago_day_with_a_repeated_hour_lasts_25_hours():
    r = resolve("today", now=at(SANTIAGO, 2026, 4, 4, 23, 30, fold=1), tz=SANTIAGO)
    assert r.first_day == date(2026, 4, 4)
    assert r.start == utc(2026, 4, 4, 3, 0)  # 00:00 -03
    assert r.end == utc(2026, 4, 5, 3, 59, 59, 999999)  # the second 23:59:59.999999, -04
    assert r.end.astimezone(SANTIAGO).utcoffset() == timedelta(hours=-4)
    assert hours(r) == 25


@pytest.mark.parametrize(
    ("day", "length"),
    [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 10, 26), 24)],
)
def test_madrid_days_around_dst(day, length):
    r = resolve("today", now=at(MADRID, day.year, day.month, day.day, 12), tz=MADRID)
    assert r.start == at(MADRID, day.year, day.month, day.day)
    assert r.start.astimezone(MADRID).time() == time.min
    assert hours(r) == length


def test_madrid_week_with_the_autumn_change_has_169_hours():
    r = resolve("this_week", now=at(MADRID, 2026, 10, 22, 9), tz=MADRID)
    assert (r.first_day, r.last_day) == (date(2026, 10, 19), date(2026, 10, 25))
    assert hours(r) == 7 * 24 + 1


def test_havana_repeated_midnight_starts_at_the_first_one():
    # 1 Nov 2026: 01:00 -04 goes back to 00:00 -05, so 00:00-01:00 happens twice.
    r = resolve("today", now=at(HAVANA, 2026, 11, 1, 12), tz=HAVANA)
    assert r.start == utc(2026, 11, 1, 4, 0)
    assert r.start.astimezone(HAVANA).time() == time.min
    assert r.start.astimezone(HAVANA).utcoffset() == timedelta(hours=-4)
    assert hours(r) == 25
    before = resolve("yesterday", now=at(HAVANA, 2026, 11, 1, 12), tz=HAVANA)
    assert before.end == utc(2026, 11, 1, 3, 59, 59, 999999)


def test_havana_day_without_midnight():
    # 8 Mar 2026: 00:00 -05 jumps to 01:00 -04.
    r = resolve("today", now=at(HAVANA, 2026, 3, 8, 12), tz=HAVANA)
    assert r.start == utc(2026, 3, 8, 5, 0)
    assert r.start.astimezone(HAVANA).time() == time(1, 0)
    assert hours(r) == 23


def test_kolkata_half_hour_offset():
    r = resolve("today", now=utc(2026, 11, 28, 18, 30), tz=KOLKATA)  # 00:00 IST, 29 Nov
    assert r.first_day == date(2026, 11, 29)
    assert r.start == utc(2026, 11, 28, 18, 30)
    assert r.end == utc(2026, 11, 29, 18, 29, 59, 999999)
    previous = resolve("today", now=utc(2026, 11, 28, 18, 29, 59, 999999), tz=KOLKATA)
    assert previous.first_day == date(2026, 11, 28)


@pytest.mark.parametrize(
    ("tz", "day", "length"),
    [
        (AUCKLAND, date(2026, 4, 5), 25),
        (AUCKLAND, date(2026, 9, 27), 23),
        (CHATHAM, date(2026, 4, 5), 25),  # +13:45 -> +12:45
        (CHATHAM, date(2026, 9, 27), 23),
    ],
)
def test_southern_pacific_dst_days(tz, day, length):
    r = resolve("today", now=at(tz, day.year, day.month, day.day, 12), tz=tz)
    assert r.start == at(tz, day.year, day.month, day.day)
    assert hours(r) == length


def test_a_fixed_offset_tzinfo_works_too():
    minus_three = timezone(timedelta(hours=-3))
    r = resolve("this_week", now=utc(2026, 11, 30, 2, 0), tz=minus_three)
    assert (r.first_day, r.last_day) == (date(2026, 11, 23), date(2026, 11, 29))
    assert r.start == utc(2026, 11, 23, 3, 0)
    assert r.end == utc(2026, 11, 30, 2, 59, 59, 999999)


def test_auckland_sees_tomorrow_before_utc_does():
    now = utc(2026, 11, 29, 12, 0)  # 01:00 on 30 Nov in Auckland (+13)
    r = resolve("today", now=now, tz=AUCKLAND)
    assert r.first_day == date(2026, 11, 30)
    assert r.start == utc(2026, 11, 29, 11, 0)


def test_a_date_the_zone_skipped_is_stepped_over():
    # Samoa moved across the date line: 29 Dec 2011 was followed by 31 Dec.
    dec_31 = at(APIA, 2011, 12, 31, 12)
    assert dec_31.utcoffset() == timedelta(hours=14)
    today = resolve("today", now=dec_31, tz=APIA)
    assert today.start == utc(2011, 12, 30, 10, 0)
    yesterday = resolve("yesterday", now=dec_31, tz=APIA)
    assert yesterday.first_day == date(2011, 12, 29)
    assert yesterday.end == today.start - ONE_US
    tomorrow = resolve("tomorrow", now=at(APIA, 2011, 12, 29, 12), tz=APIA)
    assert tomorrow.first_day == date(2011, 12, 31)
    assert tomorrow.start == today.start
    # A range over the missing date simply covers it with no time.
    week = resolve("last_7_days", now=dec_31, tz=APIA)
    assert hours(week) == 6 * 24


# --- Weeks -----------------------------------------------------------------------------

SUNDAY = date(2026, 11, 29)
MONDAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("today", "week_start", "first", "last"),
    [
        (SUNDAY, 0, date(2026, 11, 23), date(2026, 11, 29)),
        (SUNDAY, 6, date(2026, 11, 29), date(2026, 12, 5)),
        (MONDAY, 0, date(2026, 11, 30), date(2026, 12, 6)),
        (MONDAY, 6, date(2026, 11, 29), date(2026, 12, 5)),
    ],
)
def test_this_week_with_monday_or_sunday_starts(today, week_start, first, last):
    assert SUNDAY.weekday() == 6 and MONDAY.weekday() == 0
    now = at(SANTIAGO, today.year, today.month, today.day, 10)
    r = resolve("this_week", now=now, tz=SANTIAGO, week_start=week_start)
    assert (r.first_day, r.last_day) == (first, last)
    assert r.start == at(SANTIAGO, first.year, first.month, first.day)
    assert r.end == at(SANTIAGO, last.year, last.month, last.day, 23, 59, 59, 999999)


@pytest.mark.parametrize(("offset", "week_start"), list(itertools.product(range(7), range(7))))
def test_this_week_always_contains_today_and_starts_on_week_start(offset, week_start):
    today = date(2026, 12, 28) + timedelta(days=offset)  # crosses into 2027
    now = at(UTC, today.year, today.month, today.day, 12)
    r = resolve("this_week", now=now, tz=UTC, week_start=week_start)
    assert r.first_day.weekday() == week_start
    assert r.first_day <= today <= r.last_day
    assert r.last_day - r.first_day == timedelta(days=6)


def test_last_and_next_7_days_include_today():
    now = at(SANTIAGO, 2026, 11, 29, 14, 5)
    last = resolve("last_7_days", now=now, tz=SANTIAGO)
    nxt = resolve("next_7_days", now=now, tz=SANTIAGO)
    assert (last.first_day, last.last_day) == (date(2026, 11, 23), date(2026, 11, 29))
    assert (nxt.first_day, nxt.last_day) == (date(2026, 11, 29), date(2026, 12, 5))
    assert last.end == nxt.end - 6 * timedelta(days=1)  # no DST in between
    assert nxt.start == at(SANTIAGO, 2026, 11, 29)


def test_next_7_days_over_the_santiago_spring_gap():
    r = resolve("next_7_days", now=at(SANTIAGO, 2026, 9, 3, 8), tz=SANTIAGO)
    assert (r.first_day, r.last_day) == (date(2026, 9, 3), date(2026, 9, 9))
    assert hours(r) == 7 * 24 - 1


# --- Months ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "first", "last"),
    [
        (date(2028, 2, 15), date(2028, 2, 1), date(2028, 2, 29)),  # leap year
        (date(2026, 2, 1), date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 2, 28), date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31)),
        (date(2026, 11, 29), date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 31)),
    ],
)
def test_this_month(today, first, last):
    now = at(SANTIAGO, today.year, today.month, today.day, 12)
    r = resolve("this_month", now=now, tz=SANTIAGO)
    assert (r.first_day, r.last_day) == (first, last)
    assert r.start == at(SANTIAGO, first.year, first.month, first.day)
    assert r.end == at(SANTIAGO, last.year, last.month, last.day, 23, 59, 59, 999999)


def test_december_ends_on_the_31st_even_when_utc_is_already_in_january():
    now = utc(2027, 1, 1, 1, 0)  # 22:00 on 31 Dec in Santiago
    r = resolve("this_month", now=now, tz=SANTIAGO)
    assert (r.first_day, r.last_day) == (date(2026, 12, 1), date(2026, 12, 31))
    assert r.end == utc(2027, 1, 1, 2, 59, 59, 999999)


def test_santiago_september_is_one_hour_short():
    r = resolve("this_month", now=at(SANTIAGO, 2026, 9, 20), tz=SANTIAGO)
    assert r.start == at(SANTIAGO, 2026, 9, 1)
    assert hours(r) == 30 * 24 - 1


# --- Overdue ---------------------------------------------------------------------------


def test_overdue_is_open_before_now():
    now = utc(2026, 11, 29, 17, 5, 30)
    r = resolve("overdue", now=now, tz=SANTIAGO)
    assert r.token == "overdue"
    assert r.start is None
    assert r.end == now
    assert r.end.tzinfo is UTC
    assert r.first_day is None and r.last_day is None


# --- Words -----------------------------------------------------------------------------

NOW = at(SANTIAGO, 2026, 11, 29, 14, 5)


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("today", "Today, Sun 29 Nov, 00:00–23:59"),
        ("yesterday", "Yesterday, Sat 28 Nov, 00:00–23:59"),
        ("tomorrow", "Tomorrow, Mon 30 Nov, 00:00–23:59"),
        ("this_week", "This week, Mon 23 Nov – Sun 29 Nov"),
        ("last_7_days", "Last 7 days, Mon 23 Nov – Sun 29 Nov"),
        ("next_7_days", "Next 7 days, Sun 29 Nov – Sat 5 Dec"),
        ("this_month", "This month, Sun 1 Nov – Mon 30 Nov"),
        ("overdue", "Overdue: scheduled before Sun 29 Nov, 14:05"),
    ],
)
def test_describe(token, words):
    assert describe(resolve(token, now=NOW, tz=SANTIAGO), tz=SANTIAGO) == words


def test_describe_shows_the_hours_a_short_day_really_has():
    r = resolve("today", now=at(SANTIAGO, 2026, 9, 6, 12), tz=SANTIAGO)
    assert describe(r, tz=SANTIAGO) == "Today, Sun 6 Sep, 01:00–23:59"


def test_describe_shows_times_in_the_given_zone():
    r = resolve("overdue", now=utc(2026, 11, 29, 17, 5), tz=UTC)
    assert describe(r, tz=SANTIAGO) == "Overdue: scheduled before Sun 29 Nov, 14:05"


def test_every_word_goes_through_gettext(monkeypatch):
    monkeypatch.setattr(ranges, "gettext", lambda message: f"«{message}»")
    assert token_label("today") == "«Today»"
    assert describe(resolve("today", now=NOW, tz=SANTIAGO), tz=SANTIAGO) == (
        "««Today», Sun 29 Nov, 00:00–23:59»"
    )
    assert describe(resolve("this_week", now=NOW, tz=SANTIAGO), tz=SANTIAGO) == (
        "««This week», Mon 23 Nov – Sun 29 Nov»"
    )
    assert describe(resolve("overdue", now=NOW, tz=SANTIAGO), tz=SANTIAGO) == (
        "««Overdue»: scheduled before Sun 29 Nov, 14:05»"
    )


# --- Every token, many zones and days --------------------------------------------------

ZONES = [UTC, SANTIAGO, MADRID, HAVANA, KOLKATA, AUCKLAND, CHATHAM, ZoneInfo("America/New_York")]
DAYS = [
    date(2026, 1, 1),
    date(2026, 2, 28),
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 4),
    date(2026, 4, 5),
    date(2026, 9, 5),
    date(2026, 9, 6),
    date(2026, 9, 7),
    date(2026, 9, 27),
    date(2026, 10, 25),
    date(2026, 11, 1),
    date(2026, 11, 29),
    date(2026, 12, 31),
    date(2028, 2, 29),
]
CLOCKS = [time(0, 0), time(0, 30), time(1, 30), time(12, 0), time(23, 59, 59, 999999)]


def first_instant_of(day: date, tz) -> datetime:
    """Brute force: scan minute by minute (in UTC) for the first one on `day` in `tz`."""
    instant = datetime.combine(day - timedelta(days=1), time(8), tzinfo=UTC)  # before +14:00
    while local_date(instant, tz) < day:
        instant += timedelta(minutes=1)
    return instant


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_every_token_on_a_grid_of_days_and_zones(tz):
    for day, clock, token, week_start in itertools.product(DAYS, CLOCKS, RANGE_TOKENS, (0, 6)):
        now = datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)
        today = local_date(now, tz)
        r = resolve(token, now=now, tz=tz, week_start=week_start)
        where = (str(tz), day, clock, token, week_start)
        assert r.token == token
        assert r.end is not None and r.end.utcoffset() is not None, where
        if token == "overdue":
            assert r.start is None and r.end == now, where
            continue
        assert r.start.utcoffset() is not None, where
        assert r.start <= r.end, where
        assert r.first_day <= r.last_day, where
        # Exactly the local days first_day..last_day, no instant more or less.
        assert local_date(r.start, tz) == r.first_day, where
        assert local_date(r.start - ONE_US, tz) < r.first_day, where
        assert local_date(r.end, tz) == r.last_day, where
        assert local_date(r.end + ONE_US, tz) > r.last_day, where
        # Starts at local midnight wherever that midnight exists.
        midnight = datetime.combine(r.first_day, time.min, tzinfo=tz)
        if midnight.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == midnight.replace(
            tzinfo=None
        ):
            assert r.start.astimezone(tz).time() == time.min, where
        n_days = (r.last_day - r.first_day).days + 1
        expected_days = {"this_week": 7, "last_7_days": 7, "next_7_days": 7}.get(token, 1)
        if token == "this_month":
            assert r.first_day.day == 1 and (r.last_day + timedelta(days=1)).day == 1, where
            assert r.first_day <= today <= r.last_day, where
        else:
            assert n_days == expected_days, where
        if token in ("today", "this_week", "last_7_days", "next_7_days"):
            assert r.first_day <= today <= r.last_day and r.start <= now <= r.end, where
        if token == "yesterday":
            assert r.end < now and r.first_day == today - timedelta(days=1), where
        if token == "tomorrow":
            assert r.start > now and r.first_day == today + timedelta(days=1), where


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_day_starts_match_a_brute_force_search(tz):
    for day in DAYS:
        r = resolve("today", now=datetime.combine(day, time(12), tzinfo=tz), tz=tz)
        assert r.start == first_instant_of(day, tz), (str(tz), day)
