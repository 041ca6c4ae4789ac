"""The syncer against the sandbox over real HTTP: what reaches the copy, and what never does."""

from __future__ import annotations

import json
import urllib.request
from datetime import date, datetime, time, timedelta
from urllib.error import HTTPError
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities import api, presenter
from mirror import sync
from mirror.freshness import coverage
from mirror.models import SyncRun, SyncSlice, TaskRecord
from mirror.records import digest, task_from_record, task_json
from sandbox import generate_tasks
from sandbox.data import make_task

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


def local(day: date, hour: int, minute: int = 0) -> datetime:
    tz = ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def day_records(day: date, count: int, seed: int = 1000) -> list[dict]:
    """`count` tasks on the local day `day`, a minute apart from 08:00."""
    return [make_task(local(day, 8) + timedelta(minutes=i), seed=seed + i) for i in range(count)]


def sync_days(first: date, last: date | None = None) -> sync.RunTotals:
    _, totals = sync.run(sync.day_spans(first, last or first), kind="backfill")
    return totals


def in_window(records: list[dict]) -> set[str]:
    spans = sync.window_spans()
    start, end = spans[0].start, spans[-1].end
    return {
        r["id"]
        for r in records
        if r["scheduledAt"] and start <= datetime.fromisoformat(r["scheduledAt"]) < end
    }


# --- A full sync ------------------------------------------------------------------------------


def test_a_full_sync_fills_the_copy_with_every_task_of_the_window(api, capsys):
    call_command("sync_tasks", "--once")

    expected = in_window(api.tasks)
    assert len(expected) > 500
    assert set(TaskRecord.objects.values_list("id", flat=True)) == expected
    out = capsys.readouterr().out
    assert "50 slices read, 50 applied, 0 failed" in out
    assert f"{len(expected)} tasks upserted, 0 deleted" in out
    run = SyncRun.objects.get()
    assert (run.kind, run.slices_applied, run.slices_failed) == ("once", 50, 0)
    assert run.tasks_upserted == len(expected) and run.finished_at is not None
    day = sync.day_span(today())
    assert coverage(day.start, day.end).complete


def test_each_row_holds_the_columns_the_team_pages_group_by(api):
    sync_days(today())

    raw = next(
        r
        for r in api.tasks
        if r["id"] in {t.id for t in TaskRecord.objects.all()}
        and r["activityDetails"]
        and r["activityDetails"]["assignedOperator"]
        and r["activityResult"]
    )
    row = TaskRecord.objects.get(id=raw["id"])
    task = task_from_record(row)
    assert task == api_task(raw)
    assert row.operator_external_id == presenter.operator_id(task)
    assert row.operator_name == raw["activityDetails"]["assignedOperator"]["name"]
    assert row.route_code == presenter.route_code(task)
    assert row.result_status == raw["activityResult"]["resultStatus"]
    assert row.scheduled_at == datetime.fromisoformat(raw["scheduledAt"])
    assert row.commerce_name == raw["commerceName"]


def api_task(raw: dict) -> api.Task:
    return api.task_from_dict(raw)


# What PostgreSQL's COPY text format escapes or reads as NULL (\N), JSON's escapes,
# and text beyond ASCII: each must reach the copy as it left the API.
ODD_TEXT = 'Almacén "Ñandú" \\N back\\slash\ttab\nline\rreturn 😀 \\u00e9'


def test_text_copy_and_json_escape_reaches_the_copy_unchanged(served):
    record = day_records(today(), 1)[0]
    record["commerceName"] = ODD_TEXT
    record["somethingNew"] = {"nested": [ODD_TEXT, None, 1.5, {"\\N": True}]}
    served(record)

    sync_days(today())

    row = TaskRecord.objects.get(id=record["id"])
    task = api_task(record)
    assert row.commerce_name == ODD_TEXT
    assert row.data == task_json(task)
    assert task_from_record(row) == task
    assert row.digest == digest(task_json(task))


def test_a_day_with_more_tasks_than_a_slice_holds_is_read_in_halves(served, settings):
    settings.ACTIVITIES_SYNC_SLICE_MAX = 100
    records = day_records(today(), 250)
    served(*records)

    totals = sync_days(today())

    assert TaskRecord.objects.count() == 250
    assert len(totals.outcomes) >= 4 and totals.failed == 0
    assert all(o.task_count <= 100 for o in totals.outcomes)
    day = sync.day_span(today())
    assert coverage(day.start, day.end).complete


# --- Changes upstream -------------------------------------------------------------------------


def test_a_task_deleted_upstream_disappears_and_a_rescheduled_one_moves(served):
    records = generate_tasks(today())
    server = served(*records)
    sync_days(today() - timedelta(days=3), today() + timedelta(days=3))
    on_today = list(
        TaskRecord.objects.filter(
            scheduled_at__gte=sync.day_span(today()).start,
            scheduled_at__lt=sync.day_span(today()).end,
        ).values_list("id", flat=True)
    )
    deleted, moved = on_today[0], on_today[1]
    new_time = local(today() + timedelta(days=2), 10)
    server.delete_task(deleted)
    server.reschedule_task(moved, new_time)

    totals = sync_days(today() - timedelta(days=3), today() + timedelta(days=3))

    assert not TaskRecord.objects.filter(id=deleted).exists()
    assert TaskRecord.objects.get(id=moved).scheduled_at == new_time
    # Read in day order, the moved task leaves today (a delete) before its new day
    # lists it again (an upsert).
    assert (totals.total("upserted"), totals.total("deleted"), totals.failed) == (1, 2, 0)


def test_a_rescheduled_task_ends_in_its_new_day_whatever_the_read_order(served):
    records = day_records(today(), 3)
    server = served(*records)
    sync_days(today())
    moved = records[0]["id"]
    new_time = local(today() + timedelta(days=1), 9)
    server.reschedule_task(moved, new_time)

    # Its new day first: upserted there; then its old day: not listed, but no longer there.
    sync_days(today() + timedelta(days=1))
    sync_days(today())

    assert TaskRecord.objects.get(id=moved).scheduled_at == new_time
    assert TaskRecord.objects.count() == 3


def test_added_tasks_arrive_on_the_next_run(served):
    server = served(*day_records(today(), 5))
    sync_days(today())
    new_ids = server.add_tasks(2, local(today(), 15))

    sync_days(today())

    assert TaskRecord.objects.filter(id__in=new_ids).count() == 2
    assert TaskRecord.objects.count() == 7


def test_a_run_with_nothing_changed_writes_no_row(served):
    served(*day_records(today(), 150))
    sync_days(today())
    seen_before = dict(TaskRecord.objects.values_list("id", "last_seen_at"))

    with CaptureQueriesContext(connection) as queries:
        totals = sync_days(today())

    writes = [
        q["sql"]
        for q in queries.captured_queries
        if "mirror_taskrecord" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert (totals.total("upserted"), totals.total("deleted"), totals.applied) == (0, 0, 1)
    assert dict(TaskRecord.objects.values_list("id", "last_seen_at")) == seen_before
    assert SyncSlice.objects.get().last_applied_at > min(seen_before.values())


def test_the_syncers_fast_digest_equals_the_records_digest():
    # The digests already in a copy were made by mirror.records.digest (json.dumps): the
    # syncer's faster one must give the same, or an upgrade would rewrite every row once
    # and a row written by one would never compare equal under the other.
    for raw in generate_tasks(today(), 600):
        data = task_json(api.task_from_dict(raw))
        assert sync.digest(data) == digest(data), raw["id"]


# --- Faults keep the last good rows ---------------------------------------------------------


@pytest.fixture
def synced_day(served, settings):
    """A day of 250 tasks (3 pages), synced; then one of them deleted upstream, so a
    slice that were applied would change the copy."""
    settings.ACTIVITIES_API_RETRIES = 1
    records = day_records(today(), 250)
    server = served(*records)
    sync_days(today())
    applied_at = SyncSlice.objects.get().last_applied_at
    server.delete_task(records[0]["id"])
    return server, records, applied_at


def assert_kept(records: list[dict], applied_at: datetime, error: str) -> SyncSlice:
    assert TaskRecord.objects.count() == len(records)
    assert TaskRecord.objects.filter(id=records[0]["id"]).exists()
    slice_row = SyncSlice.objects.get()
    assert slice_row.last_applied_at == applied_at
    assert error in slice_row.last_error
    assert slice_row.last_attempt_at > applied_at
    day = sync.day_span(today())
    cover = coverage(day.start, day.end)
    assert cover.complete and cover.as_of == applied_at
    return slice_row


def after_first_call(monkeypatch, action) -> None:
    """Run `action` once the first page of the slice has been answered: mid-slice."""
    real = api.list_tasks
    calls = []

    def list_tasks(query, **kwargs):
        page = real(query, **kwargs)
        calls.append(query.page)
        if len(calls) == 1:
            action()
        return page

    monkeypatch.setattr(api, "list_tasks", list_tasks)


@pytest.mark.parametrize(
    ("fault", "error"),
    [("503", "ApiServerError"), ("not-json", "ApiBadResponse"), ("reset", "ApiUnavailable")],
)
def test_a_fault_mid_slice_keeps_the_slices_rows_and_records_the_error(
    synced_day, monkeypatch, fault, error
):
    server, records, applied_at = synced_day
    after_first_call(monkeypatch, lambda: server.set_fault(fault))

    with pytest.raises(CommandError) as failed:
        day = today().isoformat()
        call_command("sync_tasks", "--once", "--from", day, "--to", day)

    assert failed.value.returncode == 1
    assert_kept(records, applied_at, "Api")
    run = SyncRun.objects.latest("started_at")
    assert run.slices_failed == 1 and run.errors[0]["slice"] == today().isoformat()
    assert "Api" in run.errors[0]["error"]


def test_a_task_of_the_wrong_shape_keeps_the_slices_rows(synced_day):
    server, records, applied_at = synced_day
    server.corrupt_task(records[200]["id"])

    totals = sync_days(today())

    assert totals.failed == 1
    assert_kept(records, applied_at, "reason should be an object")


def test_a_total_that_changes_while_the_slice_is_read_keeps_its_rows(synced_day):
    server, records, applied_at = synced_day
    server.request_log.clear()
    server.set_growth(None, local(today(), 20))

    totals = sync_days(today())

    assert totals.failed == 1
    assert_kept(records, applied_at, "meta.total changed while the slice was read")
    assert totals.outcomes[0].error.startswith("Inconsistent")
    # Read once, then again three times, each time in full (3 pages or more).
    assert len(server.request_log) >= 4 * 3


def test_the_api_going_down_mid_run_keeps_the_applied_slices_and_the_old_rows(
    served, settings, monkeypatch
):
    settings.ACTIVITIES_API_RETRIES = 0
    # The slices read ahead of the first one may still apply; two more days cannot.
    days = [today() + timedelta(days=n) for n in range(sync.READ_AHEAD + 3)]
    per_day = [day_records(d, 20, seed=5000 + 100 * n) for n, d in enumerate(days)]
    server = served(*[r for records in per_day for r in records])
    sync_days(days[0], days[-1])
    for records in per_day:  # one task gone upstream on each day: applied only if read
        server.delete_task(records[0]["id"])
    real_apply = sync.apply_slice

    def apply_then_go_down(*args, **kwargs):
        result = real_apply(*args, **kwargs)
        server.stop()  # the next READ_AHEAD slices may have been read already; no later one
        return result

    monkeypatch.setattr(sync, "apply_slice", apply_then_go_down)

    totals = sync_days(days[0], days[-1])

    applied = [o.applied for o in totals.outcomes]
    assert applied[0] and not any(applied[sync.READ_AHEAD + 1 :])
    for records, was_applied in zip(per_day, applied, strict=True):
        assert TaskRecord.objects.filter(id=records[0]["id"]).exists() != was_applied
        assert TaskRecord.objects.filter(id=records[1]["id"]).exists()
    run = SyncRun.objects.latest("started_at")
    assert run.slices_failed == applied.count(False) >= 2
    failed_days = {d.isoformat() for d, ok in zip(days, applied, strict=True) if not ok}
    assert {e["slice"] for e in run.errors} == failed_days


# --- The command's arguments and exit status ----------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2026-12-01", "--to", "2026-12-02"],  # without --once
        ["--once", "--from", "2026-12-01"],
        ["--once", "--from", "2026-12-03", "--to", "2026-12-01"],
        ["--once", "--from", "yesterday", "--to", "2026-12-01"],
    ],
)
def test_bad_arguments_exit_2_before_any_api_call(api, args):
    with pytest.raises(CommandError) as failed:
        call_command("sync_tasks", *args)

    assert failed.value.returncode == 2
    assert api.request_log == []
    assert not SyncRun.objects.exists()


def test_a_backfill_reads_only_its_days(api, capsys):
    first = today() - timedelta(days=2)
    call_command("sync_tasks", "--once", "--from", first.isoformat(), "--to", today().isoformat())

    assert "3 slices read, 3 applied, 0 failed" in capsys.readouterr().out
    stored = TaskRecord.objects.values_list("scheduled_at", flat=True)
    assert stored and all(
        sync.day_span(first).start <= when < sync.day_span(today()).end for when in stored
    )
    assert SyncRun.objects.get().kind == "backfill"


def test_prune_deletes_rows_scheduled_before_the_window(served):
    old_day = today() - timedelta(days=settings.ACTIVITIES_SYNC_DAYS_BACK + 3)
    served(*day_records(old_day, 2), *day_records(today(), 2, seed=2000))
    sync_days(old_day)
    sync_days(today())

    assert sync.prune(sync.window_spans()[0].start) == 2
    assert TaskRecord.objects.count() == 2


# --- The sandbox's data controls, over HTTP (for demos) -------------------------------------


def test_the_sandbox_changes_its_data_over_http(served):
    records = day_records(today(), 3)
    server = served(*records)

    def post(**form: str) -> tuple[int, dict]:
        body = "&".join(f"{k}={v}" for k, v in form.items()).encode()
        request = urllib.request.Request(f"{server.url}/_sandbox/data", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except HTTPError as exc:
            return exc.code, json.loads(exc.read())

    assert post(action="delete", id=records[0]["id"]) == (200, {"changed": True, "tasks": 2})
    when = "2026-12-24T13:00:00Z"
    assert post(action="reschedule", id=records[1]["id"], scheduled_at=when)[1]["changed"]
    status, added = post(action="add", count="2", scheduled_at=when)
    assert status == 200 and len(added["ids"]) == 2 and added["tasks"] == 4
    assert post(action="explode")[0] == 400
    moved = next(t for t in server.tasks if t["id"] == records[1]["id"])
    assert moved["scheduledAt"] == "2026-12-24T13:00:00.000Z"
    assert records[1]["scheduledAt"] != moved["scheduledAt"]  # the caller's list is untouched


# --- The planner's statistics -------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's statistics")
def test_a_sync_leaves_sqlite_the_statistics_the_team_pages_are_planned_with(served):
    # Without them SQLite sorts a month of tasks to group the team tables (3x slower).
    served(*day_records(today(), 30))
    sync_days(today())
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'mirror_taskrecord'")
        indexes = {row[0] for row in cursor.fetchall()}
    assert {"mirror_task_pairs", "mirror_task_team"} <= indexes
    # Once there are statistics, a run only asks SQLite to refresh what needs it.
    assert sync.refresh_statistics() == "PRAGMA optimize"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's ANALYZE")
def test_a_big_run_analyzes_the_copy_on_postgresql_and_a_small_one_leaves_it_to_autovacuum():
    assert sync.refresh_statistics(upserted=20) == ""
    assert sync.refresh_statistics(upserted=20_000) == 'ANALYZE "mirror_taskrecord"'


def test_statistics_that_cannot_be_refreshed_do_not_fail_the_sync(served, monkeypatch, caplog):
    def locked(**_):
        raise sync.DatabaseError("database is locked")

    monkeypatch.setattr(sync, "refresh_statistics", locked)
    served(*day_records(today(), 3))
    totals = sync_days(today())
    assert totals.failed == 0 and TaskRecord.objects.count() == 3
    assert "statistics not refreshed: DatabaseError: database is locked" in caplog.text
