"""The streamed Excel writer (activities/exports/xlsx.py): typed cells, escapes, a valid zip."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from activities.exports import xlsx

from .helpers import read_workbook

KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+05:30, no daylight saving
SHEET = "xl/worksheets/sheet1.xml"


def written(rows: list[list], *, filter_rows: int | None = None) -> bytes:
    """A workbook of a header and `rows`, as the bytes a download would carry."""
    sheet = xlsx.SheetWriter(KOLKATA, [12, 17, 30], frozenset({1}))
    chunks = [sheet.take()]
    sheet.header(["Name", "When", "Note"])
    for row in rows:
        sheet.row(row)
        chunks.append(sheet.take())
    chunks.append(sheet.finish(filter_rows or 1 + len(rows)))
    return b"".join(chunks)


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        assert book.testzip() is None  # every member's CRC checks out
        return book.read(SHEET).decode()


def test_a_date_is_a_number_with_the_date_format_and_a_number_stays_a_number():
    when = datetime(2026, 4, 15, 13, 0, tzinfo=UTC)  # 18:30 in Kolkata

    data = written([["Ana", when, 42], ["Bo", None, 2.5]])

    xml = sheet_xml(data)
    date = re.search(r'<c r="B2" s="(\d)"><v>([\d.]+)</v></c>', xml)
    assert date is not None
    assert date.group(1) == "1"  # styles.xml's date format
    assert float(date.group(2)) == pytest.approx(46127 + 18.5 / 24, abs=1e-9)  # 1899-12-30 is 0
    assert '<c r="C2"><v>42</v></c>' in xml and '<c r="C3"><v>2.5</v></c>' in xml
    assert '<c r="B3"' not in xml  # None is an empty cell, not an empty string
    sheet = read_workbook(data).active
    assert sheet["B2"].is_date and sheet["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["B2"].value == datetime(2026, 4, 15, 18, 30)
    assert sheet["C2"].data_type == "n" and sheet["C2"].value == 42
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "Ana"


def test_the_header_is_bold_and_frozen_the_filter_covers_the_tasks_and_columns_are_sized():
    data = written([["Ana", None, "x"], ["# EXPORT TRUNCATED: …"]], filter_rows=2)

    book = read_workbook(data)
    sheet = book.active
    assert [cell.value for cell in sheet[1]] == ["Name", "When", "Note"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C2"
    assert sheet.column_dimensions["C"].width > sheet.column_dimensions["A"].width
    assert sheet["A3"].value == "# EXPORT TRUNCATED: …"
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        workbook = zipped.read("xl/workbook.xml").decode()
    assert ">Sheet1!$A$1:$C$2</definedName>" in workbook  # LibreOffice reads the filter here


def test_markup_controls_and_excel_escapes_in_text_are_escaped_not_broken():
    text = '<b>&"x"</b>\x01tab\tline\n_x0041_'

    xml = sheet_xml(written([[text]]))

    assert (
        '<t xml:space="preserve">&lt;b&gt;&amp;"x"&lt;/b&gt;_x0001_tab\tline\n_x005F_x0041_</t>'
        in xml
    )


def test_text_longer_than_a_cell_holds_is_cut_at_excels_limit():
    sheet = read_workbook(written([["a" * 40_000]])).active

    assert sheet["A2"].value == "a" * 32_767


def test_the_parts_are_sent_as_they_are_written_not_at_the_end():
    sheet = xlsx.SheetWriter(KOLKATA, [10], frozenset())
    before_rows = sheet.take()  # the small parts: content types, relations, styles
    sheet.header(["Name"])
    for n in range(3000):  # more than zlib holds back
        sheet.row([f"row {n} " * 8])

    assert before_rows.startswith(b"PK\x03\x04")
    assert len(sheet.take()) > 10 * len(before_rows)  # compressed rows, before the end
    sheet.close()  # an abandoned download: nothing raised, nothing left open


def test_column_letters_go_past_z():
    assert [xlsx.column_letters(n) for n in (0, 23, 25, 26, 701, 702)] == [
        "A",
        "X",
        "Z",
        "AA",
        "ZZ",
        "AAA",
    ]
