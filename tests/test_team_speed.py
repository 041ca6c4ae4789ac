"""What keeps the team pages fast without changing a number: the quarter-hour column, the
chart's buckets folded from it, and a page's queries not growing with its rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities import formatting, ranges
from mirror.models import TaskRecord
from mirror.records import slot, slot_start
from team import stats, tables
from tests.helpers_team import at, day_params, make, store

pytestmark = pytest.mark.django_db
SANTIAGO = ZoneInfo("America/Santiago")


@pytest.fixture(autouse=True)
def _draw_every_page(settings):
    """These tests count what drawing a page asks of the database: none is kept."""
    settings.ACTIVITIES_KEPT_PAGES = 0


def test_the_syncer_stores_each_tasks_quarter_hour():
    when = at(-1, 9, 50)
    store(make("t1", when))
    stored = TaskRecord.objects.get(id="t1")
    assert stored.scheduled_slot == slot(when)
    assert slot_start(stored.scheduled_slot) <= when < slot_start(stored.scheduled_slot + 1)


def _row(task_id: str, when: datetime, status: str = "PENDING") -> None:
    # Rows written as the syncer writes the two columns, at instants (DST days, far
    # from today) that a sync of the current window cannot bring.
    TaskRecord.objects.create(
        id=task_id, status=status, scheduled_at=when, scheduled_slot=slot(when), data={},
        last_seen_at=when,
    )  # fmt: skip


def test_the_chart_puts_half_and_three_quarter_hour_zones_in_their_local_hour():
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+05:30
    _row("a", datetime(2026, 12, 1, 10, 10, tzinfo=kolkata))
    _row("b", datetime(2026, 12, 1, 10, 55, tzinfo=kolkata))
    _row("c", datetime(2026, 12, 1, 11, 5, tzinfo=kolkata), status="COMPLETED")
    counts = stats.by_outcome(TaskRecord.objects.all(), tz=kolkata, hourly=True)
    ten, eleven = (datetime(2026, 12, 1, h, tzinfo=kolkata) for h in (10, 11))
    assert counts == {
        ten: dict.fromkeys(stats.OUTCOMES, 0) | {"pending": 2},
        eleven: dict.fromkeys(stats.OUTCOMES, 0) | {"completed_other": 1},
    }
    kathmandu = ZoneInfo("Asia/Kathmandu")  # UTC+05:45
    hours = stats.by_outcome(TaskRecord.objects.all(), tz=kathmandu, hourly=True)
    # 10:10 and 10:55 in Kolkata are 10:25 and 11:10 in Kathmandu; 11:05 is 11:20.
    assert {k.astimezone(kathmandu).hour: sum(v.values()) for k, v in hours.items()} == {
        10: 1,
        11: 2,
    }


def test_the_chart_keeps_the_repeated_hour_of_a_dst_night_apart():
    # Santiago's clocks go back from 00:00 to 23:00 on 4 April 2026: 23:30 happens twice.
    first = datetime(2026, 4, 5, 2, 30, tzinfo=UTC)  # 23:30 at -03
    second = datetime(2026, 4, 5, 3, 30, tzinfo=UTC)  # 23:30 at -04
    _row("first", first)
    _row("second", second)
    hours = stats.by_outcome(TaskRecord.objects.all(), tz=SANTIAGO, hourly=True)
    assert sorted(k.astimezone(UTC) for k in hours) == [
        first - timedelta(minutes=30),
        second - timedelta(minutes=30),
    ]
    days = stats.by_outcome(TaskRecord.objects.all(), tz=SANTIAGO, hourly=False)
    assert list(days) == [ranges.start_of_day(datetime(2026, 4, 4).date(), SANTIAGO)]
    assert days[ranges.start_of_day(datetime(2026, 4, 4).date(), SANTIAGO)]["pending"] == 2


def test_a_day_that_starts_at_one_keeps_its_first_tasks():
    # On 6 September 2026 Santiago skips 00:00–01:00: the day starts at 01:00.
    _row("early", datetime(2026, 9, 6, 1, 10, tzinfo=SANTIAGO))
    _row("late", datetime(2026, 9, 5, 23, 50, tzinfo=SANTIAGO))
    days = stats.by_outcome(TaskRecord.objects.all(), tz=SANTIAGO, hourly=False)
    sixth = ranges.start_of_day(datetime(2026, 9, 6).date(), SANTIAGO)
    fifth = ranges.start_of_day(datetime(2026, 9, 5).date(), SANTIAGO)
    assert {k: v["pending"] for k, v in days.items()} == {fifth: 1, sixth: 1}


def _queries(client, path: str, params: dict) -> int:
    """How many queries opening `path` asks of the copy (not of sessions or sync state)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200
    return sum("mirror_taskrecord" in q["sql"] for q in captured.captured_queries)


def test_the_overview_asks_the_same_few_queries_whatever_the_number_of_operators(signed_in):
    store(make("one", at(-1, 9), operator=("OP-1", "Ana Rojas")))
    signed_in.get("/team/", day_params(-1))  # the cached name lists, once
    few = _queries(signed_in, "/team/", day_params(-1))
    store(
        *(
            make(f"t{n}", at(-1, 9 + n % 8), operator=(f"OP-{n}", f"Op {n}"), route=(f"R-{n}", "R"))
            for n in range(12)
        )
    )
    assert _queries(signed_in, "/team/", day_params(-1)) == few
    # The previous period's totals, the chart, and the (operator, route) groups both
    # tables and the KPIs are folded from: three (the name lists are cached).
    assert few == 3


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_rows_already_stored_their_quarter_hour():
    executor = MigrationExecutor(connection)
    before = [("mirror", "0002_task_digest")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("mirror", "TaskRecord")
    when = timezone.now().replace(microsecond=0)
    old.objects.create(id="kept", scheduled_at=when, data={}, last_seen_at=when)
    old.objects.create(id="unscheduled", scheduled_at=None, data={}, last_seen_at=when)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("mirror"))
    assert TaskRecord.objects.get(id="kept").scheduled_slot == slot(when)
    assert TaskRecord.objects.get(id="unscheduled").scheduled_slot is None


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans")
def test_the_overview_reads_an_index_not_the_tasks(signed_in):
    # A task's row holds its whole JSON: a team query that needs a column missing from
    # its index reads every row of the period, several times slower on a month.
    store(make("one", at(-1, 9)), make("two", at(-1, 10), status="COMPLETED"))
    signed_in.get("/team/", day_params(-1))  # the cached name lists, once
    with CaptureQueriesContext(connection) as captured:
        assert signed_in.get("/team/", day_params(-1)).status_code == 200
    team = [q["sql"] for q in captured.captured_queries if "mirror_taskrecord" in q["sql"]]
    assert len(team) == 3
    with connection.cursor() as cursor:
        for sql in team:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "COVERING INDEX" in plan, (sql, plan)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans")
def test_with_the_syncers_statistics_the_tables_group_without_sorting_the_period(signed_in):
    # The sync's statistics (mirror.sync.refresh_statistics) let SQLite read the
    # (operator, route) groups in the order of an index, one range of the period per
    # pair, instead of sorting every task of the period by two text keys. (On a copy of
    # a couple of hundred tasks it still sorts them: cheaper there.)
    store(
        *(
            make(f"t{n}", at(-1, 8 + n % 10, n % 60), operator=(f"OP-{n % 2}", "Op"),
                 route=(f"R-{n // 2 % 2}", "R"))
            for n in range(400)
        )
    )  # fmt: skip
    signed_in.get("/team/", day_params(-1))  # the cached name lists, once
    with CaptureQueriesContext(connection) as captured:
        assert signed_in.get("/team/", day_params(-1)).status_code == 200
    [pairs] = [q["sql"] for q in captured.captured_queries if '"route_code" AS' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {pairs}")
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "COVERING INDEX mirror_task_pairs" in plan and "TEMP B-TREE" not in plan, plan


def test_a_table_of_tasks_prints_times_as_the_rest_of_the_dashboard():
    clock = tables.Clock()
    for moment in (timezone.now(), timezone.now() - timedelta(days=3), None):
        assert clock(moment) == formatting.clock(moment)
