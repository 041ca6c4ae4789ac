"""The export file formats: the columns a supervisor gets, and CSV, JSON Lines and Excel writers."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, tzinfo
from typing import Any, Protocol

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy, ngettext

from activities import api, presenter
from activities.api import Label, Task

from .xlsx import SheetWriter

BOM = "\ufeff"
INCOMPLETE = "# EXPORT INCOMPLETE: "
TRUNCATED = "# EXPORT TRUNCATED: "
# A cell whose first visible character is one of these is read as a formula (or a DDE
# command, "|") by some spreadsheet: the full-width forms too, which Excel folds.
FORMULA_STARTS = frozenset("=+-@|\uff1d\uff0b\uff0d\uff20")
# A tab or carriage return first is quoted as well, as OWASP advises for CSV injection.
QUOTED_FIRST = frozenset("\t\r")
# Whitespace, control and invisible characters a spreadsheet skips before that character.
_SKIPPED = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202f\u2060-\u2064\ufeff]*")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")


def neutralised(value: str | None) -> str:
    """A text cell from the API, made inert for spreadsheets (CSV injection); None is empty.

    A cell whose first visible character starts a formula gets a leading `'`, which
    spreadsheets read as "this is text". A plain signed number (`-42`) is left alone.
    """
    if value is None:
        return ""
    start = value[_SKIPPED.match(value).end() :]
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    if value[:1] in QUOTED_FIRST or start[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def _result_details(task: Task) -> dict[str, Any]:
    result = task.result
    return dict(result.details) if result and result.details else {}


def result_comment(task: Task) -> str | None:
    """The result's comment (`activityResult.resultDetails.comment`), when it is text."""
    comment = _result_details(task).get("comment")
    return comment if isinstance(comment, str) else None


def result_details_text(task: Task) -> str | None:
    """The result's other details as compact JSON (keys sorted), None when there are none."""
    details = _result_details(task)
    details.pop("comment", None)
    if not details:
        return None
    return json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _result_attr(name: str) -> Callable[[Task], Any]:
    return lambda task: getattr(task.result, name) if task.result else None


# (header, value, is a time, width in Excel). Lazy headers: a file's header is in the
# language of the page it was downloaded from. Times are datetimes until a format
# writes them; every other value is text or None.
COLUMNS: tuple[tuple[Any, Callable[[Task], Any], bool, int], ...] = (
    (gettext_lazy("Scheduled"), lambda t: t.scheduled_at, True, 17),
    (gettext_lazy("Status"), lambda t: t.status, False, 12),
    (gettext_lazy("Lifecycle"), lambda t: t.lifecycle_label or t.lifecycle_status, False, 14),
    (gettext_lazy("Lifecycle detail"), lambda t: t.lifecycle_detail, False, 28),
    (gettext_lazy("Channel"), lambda t: t.channel, False, 12),
    (gettext_lazy("Commerce ID"), lambda t: t.commerce_external_id, False, 14),
    (gettext_lazy("Commerce"), lambda t: t.commerce_name, False, 28),
    (gettext_lazy("Reason"), presenter.reason_text, False, 22),
    (gettext_lazy("User status"), presenter.user_status_text, False, 20),
    (gettext_lazy("Assignment reason"), presenter.assignment_reason, False, 22),
    (gettext_lazy("Operator ID"), presenter.operator_id, False, 12),
    (gettext_lazy("Operator"), presenter.operator_name, False, 22),
    (gettext_lazy("Operator type"), presenter.operator_type, False, 12),
    (gettext_lazy("Route code"), presenter.route_code, False, 16),
    (gettext_lazy("Route"), presenter.route_name, False, 18),
    (gettext_lazy("Handled"), lambda t: t.occurred_at, True, 17),
    (gettext_lazy("Result"), presenter.result_status, False, 14),
    (gettext_lazy("Result at"), _result_attr("occurred_at"), True, 17),
    (gettext_lazy("Result source"), _result_attr("source"), False, 14),
    (gettext_lazy("Result comment"), result_comment, False, 30),
    (gettext_lazy("Result details"), result_details_text, False, 30),
    (gettext_lazy("Origin"), lambda t: t.origin, False, 12),
    (gettext_lazy("Created"), lambda t: t.created_at, True, 17),
    (gettext_lazy("Task ID"), lambda t: t.id, False, 38),
)


def header(zone: str) -> list[str]:
    """The column titles in the active language; time columns name `zone`."""
    return [f"{label} ({zone})" if is_time else str(label) for label, _, is_time, _ in COLUMNS]


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


class ExportFormat(Protocol):
    """Turns pages of tasks into the bytes of one file, in order.

    `head` and `rows` return what can be sent now (possibly nothing); `tail` yields
    what is left once the last row or marker is written; `close` frees what the
    format holds, whether or not the file was finished.
    """

    extension: str
    content_type: str

    def head(self) -> bytes: ...
    def rows(self, tasks: Sequence[Task]) -> bytes: ...
    def incomplete(self, error: str, rows_written: int) -> bytes: ...
    def truncated(self, *, total: int, max_rows: int, rows_written: int) -> bytes: ...
    def tail(self) -> Iterator[bytes]: ...
    def close(self) -> None: ...


class CsvFormat:
    """Rows for Excel and friends, written through one small reusable buffer."""

    extension = "csv"
    content_type = "text/csv; charset=utf-8"

    def __init__(self, tz: tzinfo, *, delimiter: str = ",") -> None:
        self._tz = tz
        # Translated now, while the request's language is surely the active one.
        self._header = header(str(tz))
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, delimiter=delimiter)

    def _text(self, value: Any) -> str:
        if isinstance(value, datetime):
            return f"{value.astimezone(self._tz):%Y-%m-%d %H:%M}"  # ours: never a formula
        return neutralised(value)

    def row(self, task: Task) -> list[str]:
        return [self._text(value(task)) for _, value, _, _ in COLUMNS]

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
        self._writer.writerow([INCOMPLETE + incomplete_message(error, rows_written)])
        return self._flush()

    def truncated(self, *, total: int, max_rows: int, rows_written: int) -> bytes:
        self._writer.writerow([TRUNCATED + truncated_message(total, max_rows)])
        return self._flush()

    def tail(self) -> Iterator[bytes]:
        return iter(())

    def close(self) -> None:
        pass


_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _instant(value: datetime | None) -> str | None:
    return api.format_instant(value) if value is not None else None


def _label(value: Label | None) -> dict[str, Any] | None:
    return None if value is None else {"code": value.code, "label": value.label}


def _assignment_record(task: Task) -> dict[str, Any] | None:
    assignment = task.assignment
    if assignment is None:
        return None
    commerce = assignment.commerce
    return {
        "commerce_external_id": assignment.commerce_external_id,
        "assignment_reason": assignment.assignment_reason,
        "commerce": None
        if commerce is None
        else {"external_id": commerce.external_id, "name": commerce.name},
    }


def _details_record(task: Task) -> dict[str, Any] | None:
    details = task.details
    if details is None:
        return None
    route, operator = details.route, details.operator
    return {
        "type": details.type,
        "route_code": details.route_code,
        "operator_external_id": details.operator_external_id,
        "route": None if route is None else {"code": route.code, "name": route.name},
        "operator": None
        if operator is None
        else {"external_id": operator.external_id, "name": operator.name, "type": operator.type},
    }


def _result_record(task: Task) -> dict[str, Any] | None:
    result = task.result
    if result is None:
        return None
    return {
        "id": result.id,
        "result_status": result.result_status,
        "source": result.source,
        "origin": result.origin,
        "channel": result.channel,
        "occurred_at": _instant(result.occurred_at),
        "created_at": _instant(result.created_at),
        "details": None if result.details is None else dict(result.details),
    }


def task_record(task: Task) -> dict[str, Any]:
    """The JSON Lines object for one task: the `Task` dataclass, field by field."""
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
        "assignment": _assignment_record(task),
        "details": _details_record(task),
        "result": _result_record(task),
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
        line = {"export_incomplete": True, "error": error, "rows_written": rows_written}
        return (_json.encode(line) + "\n").encode()

    def truncated(self, *, total: int, max_rows: int, rows_written: int) -> bytes:
        line = {
            "export_truncated": True,
            "message": truncated_message(total, max_rows),
            "rows_written": rows_written,
            "total": total,
        }
        return (_json.encode(line) + "\n").encode()

    def tail(self) -> Iterator[bytes]:
        return iter(())

    def close(self) -> None:
        pass


class XlsxFormat:
    """An Excel workbook with typed cells, zipped and sent page by page (see `xlsx`).

    Memory holds about one page of rows however long the view, and nothing is written
    to disk. Text cells are inline strings, never formulas, so cells keep the API's text
    exactly (no `'` as in the CSV).
    """

    extension = "xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def __init__(self, tz: tzinfo) -> None:
        self._header = header(str(tz))
        self._values = [value for _, value, _, _ in COLUMNS]
        times = frozenset(n for n, (_, _, is_time, _) in enumerate(COLUMNS) if is_time)
        self._sheet = SheetWriter(tz, [width for *_, width in COLUMNS], times)
        self._last_task_row = 1

    def head(self) -> bytes:
        self._sheet.header(self._header)
        return self._sheet.take()

    def rows(self, tasks: Sequence[Task]) -> bytes:
        values, row = self._values, self._sheet.row
        for task in tasks:
            row([value(task) for value in values])
        self._last_task_row = self._sheet.rows
        return self._sheet.take()

    def _note(self, text: str) -> bytes:
        self._sheet.row([text])
        return self._sheet.take()

    def incomplete(self, error: str, rows_written: int) -> bytes:
        return self._note(INCOMPLETE + incomplete_message(error, rows_written))

    def truncated(self, *, total: int, max_rows: int, rows_written: int) -> bytes:
        return self._note(TRUNCATED + truncated_message(total, max_rows))

    def tail(self) -> Iterator[bytes]:
        # The filter covers the header and the tasks, not a closing note.
        yield self._sheet.finish(self._last_task_row)

    def close(self) -> None:
        self._sheet.close()
