"""The chart's geometry: one bar per local hour (or day), stacked in outcome order."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from activities import ranges
from team import charts
from team.filters import Period

SANTIAGO = ZoneInfo("America/Santiago")


def day_period(day: date, tz=SANTIAGO) -> Period:
    start = ranges.start_of_day(day, tz)
    return Period(start, ranges.start_of_day(day + timedelta(days=1), tz), "", day, day)


def test_a_day_has_a_bar_per_local_hour_even_when_the_clocks_change():
    assert len(charts.buckets(day_period(date(2026, 12, 1)), SANTIAGO)) == 24
    # Santiago skips 00:00–01:00 on 6 September 2026: a 23-hour day starting at 01.
    short = charts.buckets(day_period(date(2026, 9, 6)), SANTIAGO)
    assert len(short) == 23
    assert short[0][1] == "01"
    # ...and repeats 23:00 on 4 April 2026: 25 hours.
    assert len(charts.buckets(day_period(date(2026, 4, 4)), SANTIAGO)) == 25


def test_a_longer_period_has_a_bar_per_day():
    first = date(2026, 11, 23)
    start = ranges.start_of_day(first, SANTIAGO)
    week = Period(start, ranges.start_of_day(first + timedelta(days=7), SANTIAGO), "", first,
                  first + timedelta(days=6))  # fmt: skip
    assert len(charts.buckets(week, SANTIAGO)) == 7


def test_segments_stack_in_outcome_order_and_scale_to_the_axis():
    period = day_period(date(2026, 12, 1))
    nine = period.start + timedelta(hours=9)
    chart = charts.stacked(
        {nine: {"completed_effective": 2, "pending": 1, "cancelled": 1}}, period, SANTIAGO
    )
    bar = chart.bars[9]
    assert (bar.label, bar.total) == ("09", 4)
    assert [s.outcome for s in bar.segments] == ["completed_effective", "pending", "cancelled"]
    assert chart.top == 4
    full = chart.baseline - charts.TOP
    assert sum(s.height for s in bar.segments) == full
    # Bottom up: the first segment sits on the baseline.
    assert bar.segments[0].y + bar.segments[0].height == chart.baseline
    assert all(b.total == 0 for i, b in enumerate(chart.bars) if i != 9)
