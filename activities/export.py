"""Download a filtered task view as CSV (for people) or JSON Lines (for machines).

`/tasks/export.csv` and `/tasks/export.jsonl` take the same query parameters as
`/tasks/` and stream every task the view matches, all pages, in the list's order.

How it behaves:

- `page` and `per_page` in the URL are ignored: pages are fetched at the API's maximum
  (100). Other invalid parameters answer 400 in plain text, without calling the API.
- Page 1 is fetched before the response starts, so a first-page failure answers like the
  task list does: the `ApiError`'s `http_status` with its sentence, in plain text. Once
  the download has started its status is 200 and cannot change, so a later failure ends
  the file with a marker (CSV: a row whose first cell starts with `# EXPORT INCOMPLETE:`;
  JSON Lines: `{"export_incomplete": true, "error": "<the ApiError's sentence>",
  "rows_written": N}`; the markers and keys stay in English for programs that look for
  them, the sentences are in the page's language) and is
  logged on `activities.export`. A download is therefore never silently short.
- Pages 2… are fetched by a thread pool at most `ACTIVITIES_EXPORT_CONCURRENCY`
  (default 4) pages ahead of the one being written, and written in page order. Memory
  holds at most that many pages plus one, however long the list. Closing the generator
  (the client went away) cancels the pages not yet requested.
- At most `ACTIVITIES_EXPORT_MAX_ROWS` (default 50,000) tasks are written; when the view
  matches more, the file ends with a note saying so (CSV: a `# EXPORT TRUNCATED:` row;
  JSON Lines: an `{"export_truncated": true, "message": ..., "rows_written": N,
  "total": T}` line).
- The API pages by offset, so a task created or rescheduled while an export runs can
  shift between pages and appear twice or not at all, as when paging on screen.

CSV: UTF-8 with a BOM so that Excel reads accents right, comma-separated, a header row
in the page's language (English or Spanish), times as `YYYY-MM-DD HH:MM` in the
dashboard's time zone, codes (status, channel, result) as the API sends them, null as an
empty cell. A text cell from the API that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return gets a leading `'`, so a spreadsheet shows it as text instead of running
it as a formula (CSV injection); the JSON Lines output is for programs and keeps such
values unchanged.

JSON Lines: one object per task, built from the client's `Task` dataclass rather than
the API's raw JSON, so its shape does not depend on what the API adds or renames. The
keys are the dataclass's field names (snake_case), listed in `task_record`; timestamps
are ISO 8601 UTC strings with milliseconds (`2026-04-15T13:00:00.000Z`), nested objects
(reason, user status, assignment, details with route and operator, result) are objects
or null, and a missing value is null.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any, Protocol

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_safe

from . import api as client
from .access import supervisor_required
from .api import Label, Task, TaskPage, TaskQuery
from .forms import TaskFilterForm

logger = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 8
DEFAULT_MAX_ROWS = 50_000
PLAIN_TEXT = "text/plain; charset=utf-8"
# Paging belongs to the screen; an export is always the whole view.
IGNORED_PARAMS = ("page", "per_page")

# Lazy: a file's header is in the language of the page it was downloaded from.
CSV_HEADER = (
    gettext_lazy("Scheduled"),
    gettext_lazy("Status"),
    gettext_lazy("Lifecycle"),
    gettext_lazy("Lifecycle detail"),
    gettext_lazy("Channel"),
    gettext_lazy("Commerce ID"),
    gettext_lazy("Commerce"),
    gettext_lazy("Reason"),
    gettext_lazy("Operator ID"),
    gettext_lazy("Operator"),
    gettext_lazy("Operator type"),
    gettext_lazy("Route code"),
    gettext_lazy("Route"),
    gettext_lazy("Result"),
    gettext_lazy("Result at"),
    gettext_lazy("Result source"),
    gettext_lazy("Origin"),
    gettext_lazy("Created"),
    gettext_lazy("Task ID"),
)
BOM = "\ufeff"
# First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = frozenset("=+-@\t\r")
UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9-]+")


# --- Views -----------------------------------------------------------------------------


@require_safe
@supervisor_required
def export_csv(request: HttpRequest) -> HttpResponse:
    """Every task of the filtered view as a CSV download; see the module docstring."""
    return _export(request, CsvFormat(timezone.get_current_timezone()))


@require_safe
@supervisor_required
def export_jsonl(request: HttpRequest) -> HttpResponse:
    """Every task of the filtered view as JSON Lines; see the module docstring."""
    return _export(request, JsonlFormat())


def _export(request: HttpRequest, fmt: ExportFormat) -> HttpResponse:
    params = request.GET.copy()
    for name in IGNORED_PARAMS:
        params.pop(name, None)
    form = TaskFilterForm(params)
    if not form.is_valid():
        return HttpResponse(form_errors_text(form), status=400, content_type=PLAIN_TEXT)

    query = replace(form.query(), page=1, per_page=client.MAX_PER_PAGE)
    try:
        first = client.list_tasks(query)
    except client.ApiError as exc:
        logger.warning("export failed: %s %s", type(exc).__name__, exc.detail or exc)
        text = f"{exc.title}.\n{exc}\n"
        return HttpResponse(text, status=exc.http_status, content_type=PLAIN_TEXT)

    if request.method == "HEAD":
        # Headers only: do not fetch the other pages for a body nobody will read.
        response = StreamingHttpResponse((), content_type=fmt.content_type)
    else:
        rows = stream(
            first,
            query,
            fmt,
            concurrency=_positive_setting("ACTIVITIES_EXPORT_CONCURRENCY", DEFAULT_CONCURRENCY),
            max_rows=_positive_setting("ACTIVITIES_EXPORT_MAX_ROWS", DEFAULT_MAX_ROWS),
            language=translation.get_language(),
        )
        response = StreamingHttpResponse(rows, content_type=fmt.content_type)
    filename = export_filename(query, fmt.extension, now=timezone.localtime())
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _positive_setting(name: str, default: int) -> int:
    return max(1, int(getattr(settings, name, default)))


def form_errors_text(form: TaskFilterForm) -> str:
    """The form's errors as plain text, one line per message, named by parameter."""
    lines = [gettext("Some filters need fixing:")]
    for name, messages in form.errors.items():
        field = form.fields.get(name)
        where = f"{field.label} ({name}): " if field is not None else ""
        lines.extend(f"- {where}{message}" for message in messages)
    return "\n".join(lines) + "\n"


def export_filename(query: TaskQuery, extension: str, *, now: datetime) -> str:
    """A name saying what the file holds, e.g. `tasks_CALLCENTER_2026-11-29_to_2026-12-05.csv`.

    Without a date range the name ends in the local time of the export
    (`tasks_all_20261129-1405.csv`). Only letters, digits, `-` and `_` are used, and
    one `.` before the extension.
    """
    parts = [query.channel, query.status]
    if query.result_status:
        parts.append(f"result-{query.result_status}")
    if query.external_commerce_id:
        parts.append(f"commerce-{query.external_commerce_id}")
    if query.external_operator_id:
        parts.append(f"operator-{query.external_operator_id}")
    parts = [_filename_part(part) for part in parts]
    parts = [part for part in parts if part]

    start = _local_day(query.scheduled_from)
    end = _local_day(query.scheduled_to)
    if start and end:
        parts.append(start if start == end else f"{start}_to_{end}")
    elif start:
        parts.append(f"from_{start}")
    elif end:
        parts.append(f"to_{end}")
    else:
        parts.append(f"{now:%Y%m%d-%H%M}")
        if len(parts) == 1:
            parts.insert(0, "all")
    return "_".join(["tasks", *parts]) + "." + extension


def _filename_part(value: str) -> str:
    return UNSAFE_FILENAME_CHARS.sub("-", value).strip("-")[:40]


def _local_day(value: datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d}" if value is not None else ""


# --- The stream ------------------------------------------------------------------------


def stream(
    first: TaskPage,
    query: TaskQuery,
    fmt: ExportFormat,
    *,
    concurrency: int,
    max_rows: int,
    language: str | None = None,
) -> Iterator[bytes]:
    """Yield the file in chunks of one page, starting from the already fetched `first`.

    Never raises for a failed page: the file ends with `fmt.incomplete(...)` instead.
    Its sentences, and those of errors met in the worker threads, are in `language`
    (by default the active one when the first chunk is asked for).
    """
    if language is None:
        language = translation.get_language()
    started = time.monotonic()
    per_page = query.per_page
    last_page = min(first.meta.total_pages, -(-max_rows // per_page))
    written = 0
    next_page = 2
    pending: deque[Future[TaskPage]] = deque()
    executor = None
    if last_page > 1:
        executor = ThreadPoolExecutor(
            max_workers=min(concurrency, last_page - 1), thread_name_prefix="export"
        )

    def fill() -> None:
        # Keep `concurrency` pages requested ahead of the one being written.
        nonlocal next_page
        while next_page <= last_page and len(pending) < concurrency:
            page_query = replace(query, page=next_page)
            pending.append(executor.submit(_list_tasks_in, language, page_query))
            next_page += 1

    try:
        if executor is not None:
            fill()
        page, chunk = first, fmt.head()
        while True:
            tasks = page.tasks[: max_rows - written]
            written += len(tasks)
            yield chunk + fmt.rows(tasks)
            if written >= max_rows or not pending:
                break
            page, chunk = pending.popleft().result(), b""
            fill()
    except client.ApiError as exc:
        logger.warning(
            "export %s incomplete after %d rows: %s %s params=%s",
            fmt.extension,
            written,
            type(exc).__name__,
            exc.detail or exc,
            query.to_params(),
        )
        with translation.override(language):
            chunk = fmt.incomplete(str(exc), written)
        yield chunk
    except Exception:
        logger.exception(
            "export %s broke after %d rows params=%s", fmt.extension, written, query.to_params()
        )
        with translation.override(language):
            chunk = fmt.incomplete(gettext("An unexpected error stopped the export."), written)
        yield chunk
    else:
        if first.meta.total > max_rows:
            with translation.override(language):
                chunk = fmt.truncated(
                    total=first.meta.total, max_rows=max_rows, rows_written=written
                )
            yield chunk
        logger.info(
            "export %s done rows=%d pages_requested=%d elapsed_ms=%.0f params=%s",
            fmt.extension,
            written,
            max(1, next_page - 1),
            (time.monotonic() - started) * 1000,
            query.to_params(),
        )
    finally:
        # Reached on completion, on failure and when the client goes away (close()).
        for future in pending:
            future.cancel()
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


def _list_tasks_in(language: str | None, query: TaskQuery) -> TaskPage:
    # Worker threads do not share the request's language: an error raised here must
    # still read in it.
    with translation.override(language):
        return client.list_tasks(query)


def incomplete_message(error: str, rows_written: int) -> str:
    return ngettext(
        "%(error)s The export stopped after %(rows)s row; download it again to get the rest.",
        "%(error)s The export stopped after %(rows)s rows; download it again to get the rest.",
        rows_written,
    ) % {"error": error, "rows": number_format(rows_written, force_grouping=True)}


def truncated_message(total: int, max_rows: int) -> str:
    return ngettext(
        "This view matches %(total)s tasks; only the first %(max)s is included. "
        "Narrow the filters (for example the dates) to export the rest.",
        "This view matches %(total)s tasks; only the first %(max)s are included. "
        "Narrow the filters (for example the dates) to export the rest.",
        max_rows,
    ) % {
        "total": number_format(total, force_grouping=True),
        "max": number_format(max_rows, force_grouping=True),
    }


# --- Formats ---------------------------------------------------------------------------


class ExportFormat(Protocol):
    extension: str
    content_type: str

    def head(self) -> bytes: ...
    def rows(self, tasks: Sequence[Task]) -> bytes: ...
    def incomplete(self, error: str, rows_written: int) -> bytes: ...
    def truncated(self, *, total: int, max_rows: int, rows_written: int) -> bytes: ...


def _cell(value: str | None) -> str:
    """A text cell from the API, made inert for spreadsheets; None is empty."""
    if value is None:
        return ""
    if value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


class CsvFormat:
    """Rows for Excel and friends, written through one small reusable buffer."""

    extension = "csv"
    content_type = "text/csv; charset=utf-8"

    def __init__(self, tz: tzinfo) -> None:
        self._tz = tz
        # Translated now, while the request's language is surely the active one.
        self._header = [str(label) for label in CSV_HEADER]
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)

    def _local(self, value: datetime | None) -> str:
        return "" if value is None else f"{value.astimezone(self._tz):%Y-%m-%d %H:%M}"

    def row(self, task: Task) -> tuple[str, ...]:
        details, result, reason = task.details, task.result, task.reason
        route = details.route if details else None
        operator = details.operator if details else None
        return (
            self._local(task.scheduled_at),
            _cell(task.status),
            _cell(task.lifecycle_label or task.lifecycle_status),
            _cell(task.lifecycle_detail),
            _cell(task.channel),
            _cell(task.commerce_external_id),
            _cell(task.commerce_name),
            _cell((reason.label or reason.code) if reason else None),
            _cell(
                (operator and operator.external_id)
                or (details.operator_external_id if details else None)
            ),
            _cell(operator.name if operator else None),
            _cell(operator.type if operator else None),
            _cell((route and route.code) or (details.route_code if details else None)),
            _cell(route.name if route else None),
            _cell(result.result_status if result else None),
            self._local(result.occurred_at if result else None),
            _cell(result.source if result else None),
            _cell(task.origin),
            self._local(task.created_at),
            _cell(task.id),
        )

    def _flush(self) -> bytes:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text.encode()

    def head(self) -> bytes:
        self._buffer.write(BOM)
        self._writer.writerow(self._header)
        return self._flush()

    def rows(self, tasks: Sequence[Task]) -> bytes:
        self._writer.writerows(map(self.row, tasks))
        return self._flush()

    def incomplete(self, error: str, rows_written: int) -> bytes:
        self._writer.writerow(["# EXPORT INCOMPLETE: " + incomplete_message(error, rows_written)])
        return self._flush()

    def truncated(self, *, total: int, max_rows: int, rows_written: int) -> bytes:
        self._writer.writerow(["# EXPORT TRUNCATED: " + truncated_message(total, max_rows)])
        return self._flush()


_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _instant(value: datetime | None) -> str | None:
    return client.format_instant(value) if value is not None else None


def _label(value: Label | None) -> dict[str, Any] | None:
    return None if value is None else {"code": value.code, "label": value.label}


def task_record(task: Task) -> dict[str, Any]:
    """The JSON Lines object for one task: the `Task` dataclass, field by field."""
    assignment, details, result = task.assignment, task.details, task.result
    route = details.route if details else None
    operator = details.operator if details else None
    commerce = assignment.commerce if assignment else None
    return {
        "id": task.id,
        "origin": task.origin,
        "type": task.type,
        "status": task.status,
        "channel": task.channel,
        "scheduled_at": _instant(task.scheduled_at),
        "occurred_at": _instant(task.occurred_at),
        "created_at": _instant(task.created_at),
        "lifecycle_status": task.lifecycle_status,
        "lifecycle_label": task.lifecycle_label,
        "lifecycle_detail": task.lifecycle_detail,
        "can_force_retry_dispatch": task.can_force_retry_dispatch,
        "commerce_external_id": task.commerce_external_id,
        "commerce_name": task.commerce_name,
        "reason": _label(task.reason),
        "user_status": _label(task.user_status),
        "assignment": None
        if assignment is None
        else {
            "commerce_external_id": assignment.commerce_external_id,
            "assignment_reason": assignment.assignment_reason,
            "commerce": None
            if commerce is None
            else {"external_id": commerce.external_id, "name": commerce.name},
        },
        "details": None
        if details is None
        else {
            "type": details.type,
            "route_code": details.route_code,
            "operator_external_id": details.operator_external_id,
            "route": None if route is None else {"code": route.code, "name": route.name},
            "operator": None
            if operator is None
            else {
                "external_id": operator.external_id,
                "name": operator.name,
                "type": operator.type,
            },
        },
        "result": None
        if result is None
        else {
            "id": result.id,
            "result_status": result.result_status,
            "source": result.source,
            "origin": result.origin,
            "channel": result.channel,
            "occurred_at": _instant(result.occurred_at),
            "created_at": _instant(result.created_at),
            "details": None if result.details is None else dict(result.details),
        },
    }


class JsonlFormat:
    """One JSON object per line, UTF-8, for programs."""

    extension = "jsonl"
    content_type = "application/x-ndjson"

    def head(self) -> bytes:
        return b""

    def rows(self, tasks: Sequence[Task]) -> bytes:
        return "".join([_json.encode(task_record(task)) + "\n" for task in tasks]).encode()

    def incomplete(self, error: str, rows_written: int) -> bytes:
        line = {
            "export_incomplete": True,
            "error": error,
            "rows_written": rows_written,
        }
        return (_json.encode(line) + "\n").encode()

    def truncated(self, *, total: int, max_rows: int, rows_written: int) -> bytes:
        line = {
            "export_truncated": True,
            "message": truncated_message(total, max_rows),
            "rows_written": rows_written,
            "total": total,
        }
        return (_json.encode(line) + "\n").encode()
