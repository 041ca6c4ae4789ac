"""The team FilterSet: the /tasks/ names, repeatable ids, periods in the viewer's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict
from django.utils import timezone

from team.filters import TeamFilterSet
from tests.helpers_team import make, store

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 12:00 in Santiago


def filters(query: str, **kwargs) -> TeamFilterSet:
    return TeamFilterSet(QueryDict(query), now=NOW, **kwargs)


def test_no_period_means_today_in_the_viewers_zone():
    fs = filters("")
    assert fs.is_valid()
    assert fs.period.preset == "today"
    assert fs.period.start == datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        tokyo = filters("")
        assert tokyo.is_valid()
        assert tokyo.period.first_day.isoformat() == "2026-12-02"


def test_dates_make_local_days_and_an_open_end_reaches_the_window():
    fs = filters("scheduled_from=2026-11-29&scheduled_to=2026-11-30")
    assert fs.is_valid()
    assert (fs.period.days, fs.period.hourly, fs.period.preset) == (2, False, "")
    open_end = filters("scheduled_from=2026-11-29")
    assert open_end.is_valid()
    assert open_end.period.last_day > NOW.date()


def test_overdue_means_pending_and_refuses_another_status():
    assert filters("range=overdue").is_valid()
    conflict = filters("range=overdue&status=COMPLETED")
    assert not conflict.is_valid()
    assert "status" in conflict.errors


def test_the_previous_period_has_the_same_length():
    fs = filters("range=last_7_days")
    assert fs.is_valid()
    before_start, before_end = fs.period.previous
    assert before_end == fs.period.start
    assert before_end - before_start == fs.period.end - fs.period.start


def test_sort_takes_only_the_pages_columns():
    assert filters("sort=-tasks", sort_choices=("tasks",)).is_valid()
    assert not filters("sort=-tasks", sort_choices=("scheduled",)).is_valid()


@pytest.mark.django_db
def test_ids_repeat_and_empty_values_are_ignored():
    when = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    store(
        make("a", when),
        make("b", when, operator=("OP-2", "Beto")),
        make("c", when, operator=("OP-3", "Carla")),
    )
    fs = filters("external_operator_id=OP-1&external_operator_id=OP-3&external_operator_id=")
    assert fs.is_valid()
    assert sorted(fs.qs.values_list("id", flat=True)) == ["a", "c"]
    assert sorted(filters("route=R-1").qs.values_list("id", flat=True)) == ["a", "b", "c"]
    assert list(filters("route=R-9").qs) == []
