"""Keeping the local copy in step: read a slice of scheduled time whole, then apply it.

The API has no "changed since", so the copy re-reads spans of scheduled time ("slices",
one `TIME_ZONE` day each, halved while a day holds more than `ACTIVITIES_SYNC_SLICE_MAX`
tasks). A slice is applied only when it was read whole and consistent: every page
answered, every page told the same `meta.total`, and the tasks seen number that total.
Otherwise it is read again (up to `REREADS` times), then skipped: its rows stay as they
were and its `SyncSlice` row says why. Applying upserts every task seen and deletes the
slice's rows the API no longer lists, in one transaction, and writes no row that did not
change. A task moved to another day is upserted by id wherever it is seen, and deleted
only from a slice that holds its stored time and did not list it, so it ends up in its
new slice whatever order the slices are read in.
"""

from __future__ import annotations

import hashlib
import logging
import operator
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock

import msgspec
from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from activities import api

from .freshness import window
from .models import SyncRun, SyncSlice, TaskRecord
from .records import COLUMNS, ROW_VERSION, row_values, task_json

logger = logging.getLogger(__name__)

PER_PAGE = 100
REREADS = 3
# A slice is not split below this, however many tasks it holds: it is read whole anyway.
MIN_SPAN = timedelta(hours=1)
# Rows per SQL statement, under SQLite's bound-parameter limit on every version.
CHUNK = 500
# Slices read while the current one is applied: reading one slice at a time waits out a
# round trip per page batch, 50 slices in a row; a few at once keep the pool busy. The
# pool still bounds the calls in flight; memory is this many slices more.
READ_AHEAD = 3
_JSON = msgspec.json.Encoder()
_SORTED_JSON = msgspec.json.Encoder(order="sorted")
# Failures worth a second read; the rest (no key, refused key, open circuit) would only
# fail again at once.
_REREAD_ERRORS = (api.ApiServerError, api.ApiBadResponse, api.ApiTimeout, api.ApiBusy)


@dataclass(frozen=True)
class Span:
    """[start, end) of scheduled time, aware."""

    start: datetime
    end: datetime

    def __str__(self) -> str:
        start = timezone.localtime(self.start)
        end = timezone.localtime(self.end)
        if end - start == timedelta(days=1) and start.hour == start.minute == 0:
            return f"{start:%Y-%m-%d}"
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"

    def halves(self) -> tuple[Span, Span]:
        middle = self.start + (self.end - self.start) / 2
        return Span(self.start, middle), Span(middle, self.end)


class Inconsistent(Exception):
    """The slice changed while it was read; the message says how."""


class TooBig(Exception):
    """The slice holds more than ACTIVITIES_SYNC_SLICE_MAX tasks: read it in halves."""


@dataclass
class SliceOutcome:
    span: Span
    applied: bool
    pages: int = 0
    upserted: int = 0
    deleted: int = 0
    task_count: int = 0
    error: str = ""


@dataclass
class RunTotals:
    """What a run did, for its `SyncRun` row and its printed line."""

    outcomes: list[SliceOutcome] = field(default_factory=list)
    seconds: float = 0.0
    stopped: bool = False

    @property
    def applied(self) -> int:
        return sum(1 for o in self.outcomes if o.applied)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if not o.applied)

    def total(self, name: str) -> int:
        return sum(getattr(o, name) for o in self.outcomes)

    def line(self, kind: str) -> str:
        return (
            f"sync {kind}: {len(self.outcomes)} slices read, {self.applied} applied, "
            f"{self.failed} failed, {self.total('pages')} pages, "
            f"{self.total('upserted')} tasks upserted, {self.total('deleted')} deleted, "
            f"{self.seconds:.1f} s" + (" (stopped)" if self.stopped else "")
        )


# --- Which slices ---------------------------------------------------------------------------


def day_span(day: date) -> Span:
    """The local day `day` in `TIME_ZONE` (23 or 25 hours across a DST change)."""
    tz = timezone.get_default_timezone()
    start = datetime.combine(day, clock.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), clock.min, tzinfo=tz)
    return Span(start, end)


def day_spans(first: date, last: date) -> list[Span]:
    """One span per local day from `first` to `last`, both included."""
    return [day_span(first + timedelta(days=n)) for n in range((last - first).days + 1)]


def window_spans(now: datetime | None = None) -> list[Span]:
    """Every day of the synced window (mirror.freshness.window)."""
    start, end = window(now)
    return day_spans(start.date(), (end - timedelta(days=1)).date())


def hot_spans(now: datetime | None = None) -> list[Span]:
    """Yesterday, today and tomorrow: the days that change most."""
    today = timezone.localdate(now or timezone.now(), timezone.get_default_timezone())
    return day_spans(today - timedelta(days=1), today + timedelta(days=1))


# --- Reading ----------------------------------------------------------------------------------


def _page(span: Span, number: int) -> api.TaskPage:
    query = api.TaskQuery(
        page=number,
        per_page=PER_PAGE,
        scheduled_from=span.start,
        # The API's scheduled_to includes its instant; a task at `end` is the next slice's.
        scheduled_to=span.end - timedelta(milliseconds=1),
    )
    return api.list_tasks(query, purpose="sync")


def read_slice(span: Span, pool: ThreadPoolExecutor) -> tuple[list[api.Task], int]:
    """Every task of `span` and the number of pages read, read once.

    Raises `TooBig`, `Inconsistent`, or the client's `ApiError`.
    """
    first = pool.submit(_page, span, 1).result()
    total = first.meta.total
    if total > settings.ACTIVITIES_SYNC_SLICE_MAX and span.end - span.start > MIN_SPAN:
        raise TooBig(total)
    count = max(1, -(-total // PER_PAGE))
    pages = [first, *pool.map(lambda n: _page(span, n), range(2, count + 1))]
    totals = sorted({page.meta.total for page in pages})
    if len(totals) > 1:
        raise Inconsistent(f"meta.total changed while the slice was read: {totals}")
    tasks = {task.id: task for page in pages for task in page.tasks}
    if len(tasks) != total:
        raise Inconsistent(f"{len(tasks)} different tasks listed, but meta.total is {total}")
    return list(tasks.values()), len(pages)


def read_whole(span: Span, pool: ThreadPoolExecutor) -> tuple[list[api.Task], int]:
    """`read_slice`, read again up to `REREADS` times while it is inconsistent or the
    API fails in a way that may pass; raises the last failure."""
    for attempt in range(REREADS + 1):
        try:
            return read_slice(span, pool)
        except (Inconsistent, *_REREAD_ERRORS) as exc:
            failure = exc
            logger.warning(
                "sync slice=%s read %d of %d failed: %s",
                span,
                attempt + 1,
                REREADS + 1,
                describe(exc),
            )
    raise failure


def describe(exc: Exception) -> str:
    """A failure in one line for the log and the SyncSlice row (never the key: the
    client's messages and details are free of it)."""
    if isinstance(exc, api.ApiError):
        detail = f" ({exc.detail})" if exc.detail else ""
        return f"{type(exc).__name__}: {exc.message}{detail}"
    return f"{type(exc).__name__}: {exc}"


# --- Applying ---------------------------------------------------------------------------------


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _stored(span: Span, ids: set[str]) -> tuple[dict[str, str], set[str]]:
    """The digests (by id) of the stored rows of the tasks seen and of the span, and the
    ids of the rows whose time lies in the span."""
    in_span = TaskRecord.objects.filter(scheduled_at__gte=span.start, scheduled_at__lt=span.end)
    stored = dict(in_span.values_list("id", "digest"))
    span_ids = set(stored)
    for chunk in _chunks(sorted(ids - span_ids)):
        stored.update(TaskRecord.objects.filter(id__in=chunk).values_list("id", "digest"))
    return stored, span_ids


def _upsert_parts() -> tuple[str, list[str], str, list[tuple[int, Callable]]]:
    """The quoted table, its quoted columns (id first), the ON CONFLICT clause that
    updates every other column (SQLite and PostgreSQL say it alike), and the columns
    whose values the driver cannot take as they are, by position, each with the function
    that makes its value a parameter."""
    names = ["id", "last_seen_at", *COLUMNS]
    fields = [TaskRecord._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in fields]
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[1:])
    conflict = f"ON CONFLICT ({columns[0]}) DO UPDATE SET {updates}"  # nosec B608 (quoted model names only)
    preparers = [(i, _preparer(field)) for i, field in enumerate(fields)]
    converted = [(i, prepare) for i, prepare in preparers if prepare is not None]
    return quote(TaskRecord._meta.db_table), columns, conflict, converted


def _preparer(field: models.Field) -> Callable | None:
    """What Django's `get_db_prep_save` does to the field's values, by the short way
    where the long one costs (it is most of a full sync's time through `bulk_create`);
    None where the value goes to the driver as it is."""
    sqlite = connection.vendor == "sqlite"
    if isinstance(field, models.DateTimeField) and sqlite:
        # Django's adapter for SQLite, without its checks: naive in the connection's
        # zone (UTC), written as text.
        zone = connection.timezone
        return lambda value: (
            None if value is None else str(value.astimezone(zone).replace(tzinfo=None))
        )
    if isinstance(field, models.DateTimeField):
        return None  # PostgreSQL's adapter returns an aware datetime unchanged
    if isinstance(field, models.JSONField):
        # As text, which msgspec writes 4 times faster than json.dumps: SQLite keeps it
        # so, and PostgreSQL's COPY reads a jsonb column's value from its text.
        return lambda value: _JSON.encode(value).decode()
    if isinstance(field, models.CharField | models.TextField | models.IntegerField):
        # `row_values` gives text (the typed records hold text or None: msgspec refuses
        # anything else, and ids sent as numbers became text) and `slot` an int or None.
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _upsert(rows: list[tuple[str, datetime, dict]]) -> None:
    """Write (id, last_seen_at, row_values) rows, inserted or updated by id.

    The statement by hand: `bulk_create(update_conflicts=True)` spends ~0.4 ms a row
    compiling 26 values through the field machinery, more than the whole write.
    """
    if not rows:
        return
    table, columns, conflict, converted = _upsert_parts()
    values_of = operator.itemgetter(*COLUMNS)
    params = []
    for task_id, seen, values in rows:
        row = [task_id, seen, *values_of(values)]
        for i, prepare in converted:
            row[i] = prepare(row[i])
        params.append(row)
    names = ", ".join(columns)
    if connection.vendor == "postgresql":
        _upsert_postgresql(table, names, conflict, params)
        return
    # Only the model's own table and column names, quoted, go into the text: values are
    # parameters. SQLite runs the one prepared statement per row in C.
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))}) {conflict}"  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        for chunk in _chunks(params):
            cursor.executemany(sql, chunk)


def _upsert_postgresql(table: str, names: str, conflict: str, params: list[list]) -> None:
    """COPY the rows into a temporary table, then one INSERT ... SELECT ... ON CONFLICT.

    One INSERT a row costs PostgreSQL ~0.5 ms each (a plan and an executor start every
    time); COPY and one set-based upsert cost a quarter of that. psycopg's own cursor,
    as Django's has no COPY.
    """
    import psycopg  # only installed where PostgreSQL is the database

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        # Dropped at the commit of the slice's transaction.
        cursor.execute(
            f"CREATE TEMPORARY TABLE mirror_upsert ON COMMIT DROP AS "  # noqa: S608  # nosec B608
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
        with cursor.copy(f"COPY mirror_upsert ({names}) FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM mirror_upsert {conflict}"  # noqa: S608  # nosec B608
        )
        cursor.execute("DROP TABLE mirror_upsert")


def digest(data: dict) -> str:
    """`mirror.records.digest(data)`, 5 times faster: msgspec writes the same bytes as
    its json.dumps(sort_keys=True, ensure_ascii=False, compact), and a sync digests every
    task it reads (tests/test_mirror_sync.py checks they stay equal)."""
    return hashlib.sha256(f"{ROW_VERSION}\n".encode() + _SORTED_JSON.encode(data)).hexdigest()


def apply_slice(span: Span, tasks: list[api.Task], *, now: datetime) -> tuple[int, int]:
    """Upsert `tasks` and delete the span's other rows, in one transaction; write only
    rows that changed (their digest differs). Returns (rows upserted, rows deleted)."""
    encoded = {}
    for task in tasks:
        data = task_json(task)
        encoded[task.id] = (task, data, digest(data))
    with transaction.atomic():
        stored, span_ids = _stored(span, set(encoded))
        changed = [row for task_id, row in encoded.items() if stored.get(task_id) != row[2]]
        _upsert([(row[0].id, now, row_values(*row)) for row in changed])
        gone = sorted(span_ids - set(encoded))
        for chunk in _chunks(gone):
            TaskRecord.objects.filter(id__in=chunk).delete()
    return len(changed), len(gone)


def _record(outcome: SliceOutcome, now: datetime) -> None:
    """The slice's row: when it was last tried and applied, and what went wrong."""
    span = outcome.span
    row, _ = SyncSlice.objects.get_or_create(start=span.start, end=span.end)
    row.last_attempt_at = now
    row.last_error = outcome.error
    if outcome.applied:
        row.last_applied_at = now
        row.task_count = outcome.task_count
        # A day once read in halves (or halves once read as a day) no longer says
        # anything: its freshness is this row's.
        SyncSlice.objects.filter(start__lt=span.end, end__gt=span.start).exclude(pk=row.pk).delete()
    row.save()


def sync_span(
    span: Span, pool: ThreadPoolExecutor, read: Future | None = None
) -> list[SliceOutcome]:
    """Read and apply `span`, in halves while it is too big; one outcome per slice.

    `read` is `read_whole(span, pool)` already started in another thread, if it was.
    """
    try:
        tasks, pages = read.result() if read is not None else read_whole(span, pool)
    except TooBig as exc:
        logger.info("sync slice=%s holds %s tasks: read in halves", span, exc)
        first, second = span.halves()
        # The second half is read while the first is read and applied, as `run` reads
        # ahead: today, the day most often too big, is in every hot run.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-half") as half:
            later = half.submit(read_whole, second, pool)
            return sync_span(first, pool) + sync_span(second, pool, later)
    except (Inconsistent, api.ApiError) as exc:
        outcome = SliceOutcome(span, applied=False, error=describe(exc))
        logger.error("sync slice=%s skipped, its rows kept: %s", span, outcome.error)
    else:
        now = timezone.now()
        # The rows and the slice's freshness in one commit (each commit is a disk flush).
        with transaction.atomic():
            upserted, deleted = apply_slice(span, tasks, now=now)
            outcome = SliceOutcome(span, True, pages, upserted, deleted, task_count=len(tasks))
            _record(outcome, now)
        logger.info(
            "sync slice=%s applied tasks=%d pages=%d upserted=%d deleted=%d",
            span,
            len(tasks),
            pages,
            upserted,
            deleted,
        )
        return [outcome]
    _record(outcome, timezone.now())
    return [outcome]


# --- A run ------------------------------------------------------------------------------------


def run(
    spans: list[Span], *, kind: str, should_stop: Callable[[], bool] = lambda: False
) -> tuple[SyncRun, RunTotals]:
    """Sync `spans` in order, recording the run; stops between slices when asked."""
    started, clock_start = timezone.now(), time.monotonic()
    sync_run = SyncRun.objects.create(
        started_at=started, kind=kind, window_start=spans[0].start, window_end=spans[-1].end
    )
    totals = RunTotals()
    workers = settings.ACTIVITIES_SYNC_CONCURRENCY
    # Pages go through `pool` (the bound on concurrent API calls); `ahead` reads the
    # next slices while this thread applies the current one (the database stays here).
    with (
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sync") as pool,
        ThreadPoolExecutor(max_workers=READ_AHEAD, thread_name_prefix="sync-ahead") as ahead,
    ):
        # Only the current read and READ_AHEAD more are kept: memory stays a few slices'.
        reads = deque(ahead.submit(read_whole, span, pool) for span in spans[: READ_AHEAD + 1])
        for i, span in enumerate(spans):
            if should_stop():
                totals.stopped = True
                for read in reads:
                    read.cancel()
                break
            totals.outcomes += sync_span(span, pool, reads.popleft())
            if i + READ_AHEAD + 1 < len(spans):
                reads.append(ahead.submit(read_whole, spans[i + READ_AHEAD + 1], pool))
    totals.seconds = time.monotonic() - clock_start
    _finish(sync_run, totals)
    try:
        refresh_statistics(upserted=totals.total("upserted"))
    except DatabaseError as exc:  # the copy is synced; only its plans may be slower
        logger.warning("sync: statistics not refreshed: %s", describe(exc))
    return sync_run, totals


# A PostgreSQL run that upserted at least this many rows, and a tenth of the table or
# more (a first sync, a backfill), analyzes the table at once instead of waiting for
# autovacuum to notice.
ANALYZE_MIN_ROWS = 1000


def refresh_statistics(*, upserted: int = 0) -> str:
    """Keep the database's statistics of the copy current after a run; returns the
    statement it ran ("" when none was needed).

    Without statistics SQLite plans the team pages' (operator, route) grouping as a sort
    of the period's rows; with them it skip-scans `mirror_task_pairs` (about 3x faster
    on a month). SQLite: `ANALYZE` of the table once, when it has no statistics (about
    0.3 s for 60,000 rows), then `PRAGMA optimize`, which analyzes again only what
    needs it (a new index, a table grown many times over) and otherwise costs nothing.
    PostgreSQL: autovacuum analyzes on its own, minutes later; after a run that wrote
    much of the table, `ANALYZE` now (sampled: well under a second).
    """
    table = TaskRecord._meta.db_table
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            analyzed = cursor.fetchone() is not None
            if analyzed:
                cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
                analyzed = cursor.fetchone() is not None
            statement = "PRAGMA optimize" if analyzed else f"ANALYZE {quoted}"
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [quoted])
            estimated = cursor.fetchone()[0]  # -1 until the table was first analyzed
            if upserted < ANALYZE_MIN_ROWS or (estimated >= 0 and estimated > upserted * 10):
                return ""
            statement = f"ANALYZE {quoted}"
        else:
            return ""
        cursor.execute(statement)
    return statement


def _finish(sync_run: SyncRun, totals: RunTotals) -> None:
    sync_run.finished_at = timezone.now()
    sync_run.slices_applied = totals.applied
    sync_run.slices_failed = totals.failed
    sync_run.pages = totals.total("pages")
    sync_run.tasks_upserted = totals.total("upserted")
    sync_run.tasks_deleted = totals.total("deleted")
    sync_run.errors = [
        {"slice": str(o.span), "error": o.error} for o in totals.outcomes if not o.applied
    ]
    sync_run.save()


def prune(before: datetime) -> int:
    """Delete rows scheduled before `before` (the window's start); returns how many."""
    deleted, _ = TaskRecord.objects.filter(scheduled_at__lt=before).delete()
    return deleted
