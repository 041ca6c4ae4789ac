"""The export URLs: `/tasks/export.csv`, `.jsonl` and `.xlsx`, each the whole filtered view."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from activities import api
from activities.access import supervisor_required
from activities.api import TaskQuery
from activities.api_errors import PLAIN_TEXT, error_response
from activities.forms import TaskFilterForm

from .formats import CsvFormat, ExportFormat, JsonlFormat, XlsxFormat
from .slots import ExportsBusy, Releasing, Slot, export_slots
from .stream import Pacer, logger, stream

# Paging belongs to the screen, the separator to the CSV; an export is the whole view.
IGNORED_PARAMS = ("page", "per_page", "sep")
SEPARATORS = {"": ",", "comma": ",", "semicolon": ";"}
# Seconds a refused export is told to wait: about what a 10,000-task export takes.
RETRY_AFTER = 30
UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9-]+")


@require_safe
@supervisor_required
def export_csv(request: HttpRequest) -> HttpResponse:
    """Every task of the filtered view as CSV; `?sep=semicolon` for a Spanish Excel."""
    delimiter = SEPARATORS.get(request.GET.get("sep", ""))
    if delimiter is None:
        text = gettext("The separator (sep) must be comma or semicolon.") + "\n"
        return HttpResponse(text, status=400, content_type=PLAIN_TEXT)
    return _export(request, CsvFormat(timezone.get_current_timezone(), delimiter=delimiter))


@require_safe
@supervisor_required
def export_jsonl(request: HttpRequest) -> HttpResponse:
    """Every task of the filtered view as JSON Lines; see the package docstring."""
    return _export(request, JsonlFormat())


@require_safe
@supervisor_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """Every task of the filtered view as an Excel workbook; see the package docstring."""
    return _export(request, XlsxFormat(timezone.get_current_timezone()))


def _export(request: HttpRequest, fmt: ExportFormat) -> HttpResponse:
    params = request.GET.copy()
    for name in IGNORED_PARAMS:
        params.pop(name, None)
    form = TaskFilterForm(params)
    if not form.is_valid():
        fmt.close()
        return HttpResponse(form_errors_text(form), status=400, content_type=PLAIN_TEXT)
    try:
        slot = export_slots().take(request.user.pk)
    except ExportsBusy as exc:
        fmt.close()
        return _busy(str(exc))
    query = replace(form.query(), page=1, per_page=api.MAX_PER_PAGE)
    try:
        return _download(request, fmt, query, slot)
    except BaseException:
        slot.release()
        raise


def _download(
    request: HttpRequest, fmt: ExportFormat, query: TaskQuery, slot: Slot
) -> HttpResponse:
    """The streaming response, once page 1 has answered; an error page if it failed."""
    try:
        first = api.list_tasks(query, purpose="export")
    except api.ApiError as exc:
        slot.release()
        fmt.close()
        return error_response(request, exc, what="export")
    if request.method == "HEAD":
        # Headers only: do not fetch the other pages for a body nobody will read.
        slot.release()
        fmt.close()
        response = StreamingHttpResponse((), content_type=fmt.content_type)
    else:
        response = _streaming(first, query, fmt, slot)
    filename = export_filename(query, fmt.extension, now=timezone.localtime())
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _streaming(
    first: api.TaskPage, query: TaskQuery, fmt: ExportFormat, slot: Slot
) -> StreamingHttpResponse:
    """The file from `first` on, releasing `slot` when the body is done or dropped."""
    chunks = stream(
        first,
        query,
        fmt,
        concurrency=settings.ACTIVITIES_EXPORT_CONCURRENCY,
        max_rows=settings.ACTIVITIES_EXPORT_MAX_ROWS,
        language=translation.get_language(),
        pacer=Pacer(settings.ACTIVITIES_EXPORT_CPU_SHARE),
    )
    return StreamingHttpResponse(Releasing(chunks, slot, fmt.close), content_type=fmt.content_type)


def _busy(sentence: str) -> HttpResponse:
    logger.info("export refused: %s", sentence)
    text = gettext("Too many exports at once") + ".\n" + sentence + "\n"
    response = HttpResponse(text, status=429, content_type=PLAIN_TEXT)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "private, no-store"
    return response


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
    parts = [part for part in map(_filename_part, parts) if part]
    parts.append(_span(query) or f"{now:%Y%m%d-%H%M}")
    if len(parts) == 1 and not _span(query):
        parts.insert(0, "all")
    return "_".join(["tasks", *parts]) + "." + extension


def _span(query: TaskQuery) -> str:
    start, end = _local_day(query.scheduled_from), _local_day(query.scheduled_to)
    if start and end:
        return start if start == end else f"{start}_to_{end}"
    if start:
        return f"from_{start}"
    return f"to_{end}" if end else ""


def _filename_part(value: str) -> str:
    return UNSAFE_FILENAME_CHARS.sub("-", value).strip("-")[:40]


def _local_day(value: datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d}" if value is not None else ""
