"""The CSV, Excel and JSON Lines exports, through Django's test client over real HTTP."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import tempfile
import threading
from datetime import datetime, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from django.http import StreamingHttpResponse

from activities import api as client
from activities.api import TaskQuery
from activities.exports import formats, stream
from sandbox import DEMO_KEY

from .helpers import paged_server, point_at, read_workbook, wait_until
from .records import FULL, NULL_HEAVY, task

CSV_URL = "/tasks/export.csv"
JSONL_URL = "/tasks/export.jsonl"
BOM = "\ufeff".encode()
ZONE = "America/Santiago"


def header(zone: str = ZONE) -> list[str]:
    """The CSV's header row; the time columns name the viewer's time zone."""
    return [
        f"Scheduled ({zone})",
        "Status",
        "Lifecycle",
        "Lifecycle detail",
        "Channel",
        "Commerce ID",
        "Commerce",
        "Reason",
        "User status",
        "Assignment reason",
        "Operator ID",
        "Operator",
        "Operator type",
        "Route code",
        "Route",
        f"Handled ({zone})",
        "Result",
        f"Result at ({zone})",
        "Result source",
        "Result comment",
        "Result details",
        "Origin",
        f"Created ({zone})",
        "Task ID",
    ]


HEADER = header()


def body(response) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    """The CSV body parsed back, header row included, after checking the BOM."""
    data = body(response)
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM) :].decode(), newline="")))


def jsonl_lines(response) -> list[dict]:
    return [json.loads(line) for line in body(response).decode().splitlines()]


def when(record: dict) -> datetime | None:
    value = record.get("scheduledAt")
    return datetime.fromisoformat(value) if value else None


def sandbox_order(records) -> list[str]:
    """Task IDs in the API's order: scheduledAt ascending, nulls last, then id."""

    def key(record):
        moment = when(record)
        return (moment is None, moment.timestamp() if moment else 0.0, record["id"])

    return [record["id"] for record in sorted(records, key=key)]


def pages_requested(sandbox) -> list[str]:
    return [entry["params"]["page"] for entry in sandbox.request_log]


# --- A paged fake for failures halfway -------------------------------------------------


@pytest.fixture
def paged(settings):
    """A real HTTP server paging through `paged.records`; `paged.fail_from` breaks it."""
    with paged_server([task(id=f"task-{i:04d}") for i in range(250)]) as server:
        point_at(settings, server)
        yield server


# --- Every page, in order, with the filters --------------------------------------------


def test_it_exports_every_page_in_the_lists_order(signed_in, api):
    response = signed_in.get(CSV_URL)

    rows = csv_rows(response)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows[0] == HEADER
    assert [row[-1] for row in rows[1:]] == sandbox_order(api.tasks)
    total_pages = -(-len(api.tasks) // 100)
    assert sorted(pages_requested(api), key=int) == [str(n) for n in range(1, total_pages + 1)]
    assert {entry["params"]["per_page"] for entry in api.request_log} == {"100"}


def test_paging_parameters_in_the_url_are_ignored(signed_in, api):
    response = signed_in.get(CSV_URL, {"page": "3", "per_page": "1000"})

    assert response.status_code == 200
    assert len(csv_rows(response)) == 1 + len(api.tasks)
    assert api.request_log[0]["params"] == {"page": "1", "per_page": "100"}


def test_filters_apply_to_every_page(signed_in, api, settings):
    zone = ZoneInfo(settings.TIME_ZONE)
    today = datetime.now(zone).date()
    first, last = today - timedelta(days=20), today + timedelta(days=5)
    response = signed_in.get(
        CSV_URL,
        {"channel": "CALLCENTER", "scheduled_from": f"{first}", "scheduled_to": f"{last}"},
    )

    start = datetime.combine(first, datetime.min.time(), zone)
    end = datetime.combine(last, datetime.max.time(), zone)
    expected = sandbox_order(
        t for t in api.tasks if t["channel"] == "CALLCENTER" and when(t) and start <= when(t) <= end
    )
    rows = csv_rows(response)[1:]
    assert len(expected) > 100, "the view should span several pages"
    assert [row[-1] for row in rows] == expected
    assert {row[4] for row in rows} == {"CALLCENTER"}
    for entry in api.request_log:
        assert entry["params"]["channel"] == "CALLCENTER"
        assert entry["params"]["scheduled_from"] == client.format_instant(start)
        assert entry["params"]["scheduled_to"] == client.format_instant(end)
    pages = -(-len(expected) // 100)
    assert sorted(pages_requested(api), key=int) == [str(n) for n in range(1, pages + 1)]


def test_the_rows_are_the_ones_the_task_list_shows_page_by_page(signed_in, api):
    shown, page = [], 1
    while True:
        html = signed_in.get("/tasks/", {"channel": "SALESMAN", "per_page": 100, "page": page})
        ids = re.findall(r'<tbody class="task[^"]*" data-id="([^"]+)"', html.content.decode())
        if not ids:
            break
        shown += ids
        page += 1

    rows = csv_rows(signed_in.get(CSV_URL, {"channel": "SALESMAN"}))[1:]
    assert len(shown) > 200
    assert [row[-1] for row in rows] == shown


def test_a_row_has_every_column_with_local_times(signed_in, served, settings):
    settings.TIME_ZONE = "Asia/Kolkata"  # UTC+05:30, no daylight saving
    served(FULL)

    rows = csv_rows(signed_in.get(CSV_URL))

    assert rows == [
        header("Asia/Kolkata"),
        [
            "2026-04-15 18:30",
            "COMPLETED",
            "Completada",
            "Visita realizada con pedido",
            "SALESMAN",
            "COM-001",
            "Farmacia Central",
            "Riesgo de fuga",
            "Requiere seguimiento",
            "Asignación por ruta",
            "OP-042",
            "Carlos Pérez",
            "SALESMAN",
            "RUTA-NORTE-01",
            "Ruta Norte",
            "2026-04-15 19:10",
            "EFFECTIVE",
            "2026-04-15 19:10",
            "MOBILE_APP",
            "Pedido de reposición",
            '{"orderAmount":125000}',
            "ACTIVITY",
            "2026-04-10 20:00",
            FULL["id"],
        ],
    ]


def test_null_fields_are_empty_cells(signed_in, served):
    served(NULL_HEAVY)

    (row,) = csv_rows(signed_in.get(CSV_URL))[1:]

    assert row[HEADER.index("Commerce")] == "Kiosco Ñandú"
    assert row[HEADER.index("Origin")] == "STANDALONE"
    assert row[HEADER.index("Task ID")] == NULL_HEAVY["id"]
    filled = {"Commerce", "Commerce ID", "Origin", "Task ID"}
    assert all(cell == "" for name, cell in zip(HEADER, row, strict=True) if name not in filled)


def test_cells_that_look_like_formulas_are_quoted_in_csv_only(signed_in, served):
    served(
        task(
            commerceName='=HYPERLINK("http://evil")',
            commerceExternalId="+56 9 1234",
            lifecycleStatusDetail="-2+3",
            reason={"code": "X", "label": "@SUM(A1)"},
            lifecycleStatusLabel="\tTab",
        )
    )

    (row,) = csv_rows(signed_in.get(CSV_URL))[1:]
    (line,) = jsonl_lines(signed_in.get(JSONL_URL))

    assert row[HEADER.index("Commerce")] == '\'=HYPERLINK("http://evil")'
    assert row[HEADER.index("Commerce ID")] == "'+56 9 1234"
    assert row[HEADER.index("Lifecycle detail")] == "'-2+3"
    assert row[HEADER.index("Reason")] == "'@SUM(A1)"
    assert row[HEADER.index("Lifecycle")] == "'\tTab"
    assert row[HEADER.index(f"Scheduled ({ZONE})")] == "2026-04-15 09:00"  # ours, untouched
    assert line["commerce_name"] == '=HYPERLINK("http://evil")'


@pytest.mark.parametrize(
    "value",
    [
        " =1+1",  # after a space
        "\n=1+1",  # after a line break
        "\u200b=1+1",  # after a zero-width space
        "\u00a0@SUM(A1)",  # after a no-break space
        "\ufeff+1",  # after an invisible byte-order mark
        "\uff1d1+1",  # full-width =
        "\uff0b1+1",  # full-width +
        "\uff0d1+1",  # full-width -
        "\uff20SUM(A1)",  # full-width @
        "|calc",  # a DDE command
        " |calc",
        "\r=1+1",
    ],
)
def test_formula_looking_cells_are_quoted_after_spaces_and_invisible_characters(
    signed_in, served, value
):
    served(task(commerceName=value))

    (row,) = csv_rows(signed_in.get(CSV_URL))[1:]

    assert row[HEADER.index("Commerce")] == "'" + value


@pytest.mark.parametrize("value", ["-42", "-3.5", "+56", "42", "-0,5", "Farmacia -10%"])
def test_plain_numbers_and_ordinary_text_are_not_touched(signed_in, served, value):
    served(task(commerceName=value))

    (row,) = csv_rows(signed_in.get(CSV_URL))[1:]

    assert row[HEADER.index("Commerce")] == value


def test_sep_semicolon_separates_columns_with_semicolons(signed_in, served):
    served(task(commerceName="Farmacia; Central, Sur"))

    response = signed_in.get(CSV_URL, {"sep": "semicolon"})

    data = body(response)
    assert data.startswith(BOM)
    text = data[len(BOM) :].decode()
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == HEADER
    assert rows[1][HEADER.index("Commerce")] == "Farmacia; Central, Sur"
    assert text.startswith(f"Scheduled ({ZONE});Status;")
    assert response["Content-Disposition"].endswith('.csv"')


def test_an_unknown_separator_is_a_400_without_an_api_call(signed_in, api):
    response = signed_in.get(CSV_URL, {"sep": "tab"})

    assert response.status_code == 400
    assert response.content.decode() == "The separator (sep) must be comma or semicolon.\n"
    assert api.request_log == []


@pytest.mark.parametrize(
    ("params", "filename"),
    [
        (
            {
                "channel": "CALLCENTER",
                "status": "PENDING",
                "scheduled_from": "2026-11-29",
                "scheduled_to": "2026-12-05",
            },
            "tasks_CALLCENTER_PENDING_2026-11-29_to_2026-12-05.csv",
        ),
        ({"scheduled_from": "2026-11-29", "scheduled_to": "2026-11-29"}, "tasks_2026-11-29.csv"),
        (
            {"result_status": "EFFECTIVE", "scheduled_from": "2026-11-29"},
            "tasks_result-EFFECTIVE_from_2026-11-29.csv",
        ),
        (
            {"external_commerce_id": 'a/b "c"\\..;x', "scheduled_to": "2026-12-05"},
            "tasks_commerce-a-b-c-x_to_2026-12-05.csv",
        ),
    ],
)
def test_the_file_name_says_what_it_holds(signed_in, api, params, filename):
    response = signed_in.get(CSV_URL, params)
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


def test_an_unfiltered_export_is_named_all_with_the_time(signed_in, api):
    first = signed_in.get(CSV_URL)
    body(first)  # one running export per user: this one ends before the next starts
    csv_name = first["Content-Disposition"]
    jsonl_name = signed_in.get(JSONL_URL, {"channel": "SALESMAN"})["Content-Disposition"]

    assert re.fullmatch(r'attachment; filename="tasks_all_\d{8}-\d{4}\.csv"', csv_name)
    assert re.fullmatch(r'attachment; filename="tasks_SALESMAN_\d{8}-\d{4}\.jsonl"', jsonl_name)


# --- JSON Lines ------------------------------------------------------------------------


def test_jsonl_has_one_object_per_task_in_order(signed_in, api):
    response = signed_in.get(JSONL_URL, {"channel": "SALESMAN"})

    lines = jsonl_lines(response)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert [line["id"] for line in lines] == sandbox_order(
        t for t in api.tasks if t["channel"] == "SALESMAN"
    )


def test_a_jsonl_object_is_the_typed_task_with_utc_timestamps(signed_in, served):
    served(FULL, NULL_HEAVY)

    full, empty = jsonl_lines(signed_in.get(JSONL_URL))

    assert full == {
        "id": FULL["id"],
        "origin": "ACTIVITY",
        "type": "TASK",
        "status": "COMPLETED",
        "channel": "SALESMAN",
        "scheduled_at": "2026-04-15T13:00:00.000Z",
        "occurred_at": "2026-04-15T13:40:00.000Z",
        "created_at": "2026-04-10T14:30:00.000Z",
        "lifecycle_status": "COMPLETED",
        "lifecycle_label": "Completada",
        "lifecycle_detail": "Visita realizada con pedido",
        "can_force_retry_dispatch": False,
        "commerce_external_id": "COM-001",
        "commerce_name": "Farmacia Central",
        "reason": {"code": "CHURN_RISK", "label": "Riesgo de fuga"},
        "user_status": {"code": "FOLLOW_UP", "label": "Requiere seguimiento"},
        "assignment": {
            "commerce_external_id": "COM-001",
            "assignment_reason": "Asignación por ruta",
            "commerce": {"external_id": "COM-001", "name": "Farmacia Central"},
        },
        "details": {
            "type": "TASK",
            "route_code": "RUTA-NORTE-01",
            "operator_external_id": "OP-042",
            "route": {"code": "RUTA-NORTE-01", "name": "Ruta Norte"},
            "operator": {"external_id": "OP-042", "name": "Carlos Pérez", "type": "SALESMAN"},
        },
        "result": {
            "id": "r-0001",
            "result_status": "EFFECTIVE",
            "source": "MOBILE_APP",
            "origin": "SALESMAN",
            "channel": "SALESMAN",
            "occurred_at": "2026-04-15T13:40:00.000Z",
            "created_at": "2026-04-15T13:41:00.000Z",
            "details": {"comment": "Pedido de reposición", "orderAmount": 125000},
        },
    }
    assert empty["scheduled_at"] is None and empty["result"] is None
    assert empty["details"] is None and empty["commerce_name"] == "Kiosco Ñandú"
    assert set(empty) == set(full)


# --- The row cap -----------------------------------------------------------------------


def test_a_view_over_the_cap_stops_there_with_a_note(signed_in, api, settings):
    settings.ACTIVITIES_EXPORT_MAX_ROWS = 150

    rows = csv_rows(signed_in.get(CSV_URL))

    assert len(rows) == 1 + 150 + 1
    assert [row[-1] for row in rows[1:151]] == sandbox_order(api.tasks)[:150]
    assert rows[-1] == [
        f"# EXPORT TRUNCATED: This view matches {len(api.tasks):,} tasks; only the first "
        "150 are included. Narrow the filters (for example the dates) to export the rest."
    ]
    assert pages_requested(api) == ["1", "2"]


def test_a_jsonl_view_over_the_cap_ends_with_a_note_object(signed_in, api, settings):
    settings.ACTIVITIES_EXPORT_MAX_ROWS = 150

    lines = jsonl_lines(signed_in.get(JSONL_URL))

    assert len(lines) == 151
    assert lines[-1]["export_truncated"] is True
    assert lines[-1]["rows_written"] == 150
    assert lines[-1]["total"] == len(api.tasks)


def test_a_view_within_the_cap_has_no_note(signed_in, paged, settings):
    settings.ACTIVITIES_EXPORT_MAX_ROWS = 250

    rows = csv_rows(signed_in.get(CSV_URL))

    assert len(rows) == 1 + 250
    assert not rows[-1][0].startswith("#")


# --- Failures --------------------------------------------------------------------------


def test_a_failure_halfway_ends_the_csv_with_a_marker_and_is_logged(signed_in, paged, caplog):
    paged.fail_from = 3
    caplog.set_level(logging.INFO)

    response = signed_in.get(CSV_URL)

    rows = csv_rows(response)
    assert response.status_code == 200
    assert [row[-1] for row in rows[1:201]] == [f"task-{i:04d}" for i in range(200)]
    assert len(rows) == 1 + 200 + 1
    assert rows[-1] == [
        "# EXPORT INCOMPLETE: The task service has a problem of its own (HTTP 500). "
        "Try again in a few minutes. The export stopped after 200 rows; "
        "download it again to get the rest."
    ]
    (record,) = [r for r in caplog.records if r.name == "activities.export"]
    assert record.levelname == "WARNING"
    assert "incomplete after 200 rows" in record.getMessage()
    assert "ApiServerError" in record.getMessage()
    assert DEMO_KEY not in caplog.text


def test_a_failure_halfway_ends_the_jsonl_with_an_error_object(signed_in, paged):
    paged.fail_from = 2

    lines = jsonl_lines(signed_in.get(JSONL_URL))

    assert len(lines) == 101
    assert lines[-1] == {
        "export_incomplete": True,
        "error": "The task service has a problem of its own (HTTP 500). "
        "Try again in a few minutes.",
        "rows_written": 100,
    }


@pytest.mark.parametrize("url", [CSV_URL, JSONL_URL])
def test_a_failing_first_page_is_an_error_status_not_a_download(signed_in, canned, url):
    canned.answer = (500, "application/json", "{}")

    response = signed_in.get(url)

    assert response.status_code == 502
    assert not response.streaming
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Content-Disposition" not in response
    assert response.content.decode() == (
        "The task service has a problem.\n"
        "The task service has a problem of its own (HTTP 500). Try again in a few minutes.\n"
    )


def test_a_missing_key_is_a_503_in_plain_text(signed_in, api, settings):
    settings.ACTIVITIES_API_KEY = ""
    response = signed_in.get(CSV_URL)
    assert response.status_code == 503
    assert "No API key is configured" in response.content.decode()
    assert api.request_log == []


@pytest.mark.parametrize(
    ("params", "line"),
    [
        ({"scheduled_from": "yesterday"}, "- Scheduled from (scheduled_from): Enter a valid date."),
        (
            {"scheduled_from": "2026-11-30", "scheduled_to": "2026-11-01"},
            "- Scheduled to (scheduled_to): The end date must be on or after the start date.",
        ),
        ({"status": "DONE"}, "- Status (status): Select a valid choice."),
        ({"external_commerce_id": "x" * 100}, "- Commerce ID (external_commerce_id): Ensure"),
    ],
)
@pytest.mark.parametrize("url", [CSV_URL, JSONL_URL])
def test_invalid_filters_are_a_400_in_plain_text_without_an_api_call(
    signed_in, api, url, params, line
):
    response = signed_in.get(url, params)

    text = response.content.decode()
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert text.startswith("Some filters need fixing:\n")
    assert line in text
    assert api.request_log == []


# --- Access ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [CSV_URL, JSONL_URL])
def test_it_needs_sign_in(client, served, url):
    # A sandbox of its own: an earlier test's closed export may still have a page fetch
    # in flight to the shared one.
    api = served()
    response = client.get(url, {"channel": "SALESMAN"})

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/accounts/login/?next=")
    assert unquote(location.split("next=", 1)[1]) == f"{url}?channel=SALESMAN"
    assert api.request_log == []


def test_only_get_and_head_are_allowed(signed_in, api):
    assert signed_in.post(CSV_URL).status_code == 405
    assert api.request_log == []


def test_head_answers_the_headers_from_one_api_call(signed_in, api):
    response = signed_in.head(CSV_URL, {"channel": "SALESMAN"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="tasks_SALESMAN_')
    assert pages_requested(api) == ["1"]


# --- Streaming -------------------------------------------------------------------------


def test_the_first_bytes_leave_before_the_last_page_is_requested(signed_in, api, settings):
    settings.ACTIVITIES_EXPORT_CONCURRENCY = 1
    total_pages = -(-len(api.tasks) // 100)

    response = signed_in.get(CSV_URL)
    chunks = iter(response.streaming_content)
    first = next(chunks)

    assert isinstance(response, StreamingHttpResponse)
    assert first.startswith(BOM + f"Scheduled ({ZONE}),Status,".encode())
    assert len(api.request_log) <= 2 < total_pages
    rest = b"".join(chunks)
    assert pages_requested(api) == [str(n) for n in range(1, total_pages + 1)]  # one at a time
    assert (first + rest).count(b"\r\n") == 1 + len(api.tasks)


def test_at_most_the_configured_pages_are_in_flight(signed_in, paged, settings):
    settings.ACTIVITIES_EXPORT_CONCURRENCY = 2
    paged.records = [task(id=f"task-{i:04d}") for i in range(1000)]
    paged.delay = 0.03

    lines = jsonl_lines(signed_in.get(JSONL_URL))

    assert [line["id"] for line in lines] == [f"task-{i:04d}" for i in range(1000)]
    assert paged.max_in_flight == 2
    assert sorted(paged.pages) == list(range(1, 11))


def test_closing_the_download_stops_fetching_pages(api, settings):
    settings.ACTIVITIES_EXPORT_CONCURRENCY = 1
    api.latency = 0.02
    query = TaskQuery(per_page=100)
    first = client.list_tasks(query)
    fmt = formats.CsvFormat(ZoneInfo("UTC"))

    before = set(threading.enumerate())
    chunks = stream.stream(first, query, fmt, concurrency=1, max_rows=50_000)
    next(chunks)
    chunks.close()

    def fetching():
        return [t for t in set(threading.enumerate()) - before if t.name.startswith("export")]

    # The page already asked for may still arrive; then the fetching thread ends.
    assert wait_until(lambda: not fetching())

    assert first.meta.total_pages == 6
    assert len(api.request_log) <= 2


# --- The key ---------------------------------------------------------------------------


def test_the_key_appears_in_no_export_and_no_log(signed_in, api, settings, canned, caplog):
    caplog.set_level(logging.DEBUG)
    settings.ACTIVITIES_API_BASE_URL = api.url
    outputs = [body(signed_in.get(CSV_URL)), body(signed_in.get(JSONL_URL))]
    settings.ACTIVITIES_API_BASE_URL = f"http://127.0.0.1:{canned.server_port}"
    canned.answer = (401, "application/json", f'{{"message":"key {DEMO_KEY} is invalid"}}')
    outputs.append(signed_in.get(CSV_URL).content)
    canned.answer = (500, "application/json", f'{{"message":"key {DEMO_KEY} broke"}}')
    outputs.append(signed_in.get(JSONL_URL).content)

    for output in outputs:
        assert DEMO_KEY.encode() not in output
    assert DEMO_KEY not in caplog.text


# --- Excel -----------------------------------------------------------------------------

XLSX_URL = "/tasks/export.xlsx"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_of(response):
    """The workbook's only sheet, after checking the download's headers."""
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"].endswith('.xlsx"')
    book = read_workbook(body(response))
    (sheet,) = book.worksheets
    return sheet


def values(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_workbook_has_a_frozen_bold_header_a_filter_and_widths(signed_in, api):
    sheet = sheet_of(signed_in.get(XLSX_URL))

    rows = values(sheet)
    assert rows[0] == HEADER
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:X{1 + len(api.tasks)}"
    assert sheet.column_dimensions["G"].width > sheet.column_dimensions["B"].width
    assert [row[-1] for row in rows[1:]] == sandbox_order(api.tasks)


def test_times_are_excel_dates_in_the_viewers_zone_and_text_stays_text(signed_in, served, settings):
    settings.TIME_ZONE = "Asia/Kolkata"  # UTC+05:30, no daylight saving
    served(FULL, NULL_HEAVY)

    sheet = sheet_of(signed_in.get(XLSX_URL))

    head, full, empty = values(sheet)
    assert head == header("Asia/Kolkata")
    row = dict(zip(head, full, strict=True))
    assert row["Scheduled (Asia/Kolkata)"] == datetime(2026, 4, 15, 18, 30)
    assert row["Handled (Asia/Kolkata)"] == datetime(2026, 4, 15, 19, 10)
    assert row["Created (Asia/Kolkata)"] == datetime(2026, 4, 10, 20, 0)
    assert sheet["A2"].is_date and sheet["A2"].number_format == "yyyy-mm-dd hh:mm"
    assert row["Commerce"] == "Farmacia Central"
    assert row["User status"] == "Requiere seguimiento"
    assert row["Assignment reason"] == "Asignación por ruta"
    assert row["Result comment"] == "Pedido de reposición"
    assert row["Result details"] == '{"orderAmount":125000}'
    blank = dict(zip(head, empty, strict=True))
    assert blank["Commerce"] == "Kiosco Ñandú" and blank["Task ID"] == NULL_HEAVY["id"]
    assert blank["Scheduled (Asia/Kolkata)"] is None and blank["Result"] is None


def test_formula_looking_text_is_a_text_cell_kept_exactly(signed_in, served):
    served(task(commerceName='=HYPERLINK("http://evil")', commerceExternalId="-42"))

    sheet = sheet_of(signed_in.get(XLSX_URL))

    commerce = sheet.cell(row=2, column=HEADER.index("Commerce") + 1)
    commerce_id = sheet.cell(row=2, column=HEADER.index("Commerce ID") + 1)
    assert commerce.data_type == "s" and commerce.value == '=HYPERLINK("http://evil")'
    assert commerce_id.data_type == "s" and commerce_id.value == "-42"


def test_a_view_over_the_cap_ends_with_the_truncation_note_outside_the_filter(
    signed_in, api, settings
):
    settings.ACTIVITIES_EXPORT_MAX_ROWS = 150

    sheet = sheet_of(signed_in.get(XLSX_URL))

    rows = values(sheet)
    assert len(rows) == 1 + 150 + 1
    assert [row[-1] for row in rows[1:151]] == sandbox_order(api.tasks)[:150]
    assert rows[-1][0] == (
        f"# EXPORT TRUNCATED: This view matches {len(api.tasks):,} tasks; only the first "
        "150 are included. Narrow the filters (for example the dates) to export the rest."
    )
    assert sheet.auto_filter.ref == "A1:X151"


def test_a_failure_halfway_ends_the_workbook_with_the_csvs_marker(signed_in, paged):
    paged.fail_from = 3

    rows = values(sheet_of(signed_in.get(XLSX_URL)))

    assert [row[-1] for row in rows[1:201]] == [f"task-{i:04d}" for i in range(200)]
    assert len(rows) == 1 + 200 + 1
    assert rows[-1][0] == (
        "# EXPORT INCOMPLETE: The task service has a problem of its own (HTTP 500). "
        "Try again in a few minutes. The export stopped after 200 rows; "
        "download it again to get the rest."
    )


def test_a_failing_first_page_is_an_error_status_not_a_workbook(signed_in, canned):
    canned.answer = (500, "application/json", "{}")

    response = signed_in.get(XLSX_URL)

    assert response.status_code == 502
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Content-Disposition" not in response


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_excel_link_sits_next_to_csv_and_json_lines(signed_in, api, language):
    html = signed_in.get("/tasks/", {"channel": "SALESMAN"}, HTTP_ACCEPT_LANGUAGE=language)
    html = html.content.decode()

    assert 'href="/tasks/export.xlsx?channel=SALESMAN" download>Excel</a>' in html
    assert 'href="/tasks/export.jsonl?channel=SALESMAN" download>JSON Lines</a>' in html
    csv_query = "channel=SALESMAN&amp;sep=semicolon" if language == "es" else "channel=SALESMAN"
    assert f'href="/tasks/export.csv?{csv_query}" download>CSV</a>' in html


def test_a_workbook_is_sent_as_it_is_written_and_leaves_no_files(
    signed_in, api, tmp_path, monkeypatch, settings
):
    settings.ACTIVITIES_EXPORT_LOCK_DIR = str(tmp_path / "slots")  # the host slots' files
    temporary = tmp_path / "temp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    finished = signed_in.get(XLSX_URL)
    body(finished)
    abandoned = signed_in.get(XLSX_URL)
    first = next(iter(abandoned.streaming_content))
    assert first.startswith(b"PK\x03\x04")  # the zip's first part, before the last page

    abandoned.close()  # what the WSGI server does when the browser goes away

    assert list(temporary.iterdir()) == []
