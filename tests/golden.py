"""A large, varied page of tasks rendered every way the presenter's rules are shown, for
tests/test_golden_rows.py: the table's rows (English and Spanish, two time zones, two
query strings), the CSV and JSON Lines exports, and the records written back as JSON.

The tasks are the sandbox's (every status, result and lifecycle, its nulls, unknown
values and fields) plus records made here for what the sandbox never sends: numbers as
ids, text to escape, line breaks, unknown codes everywhere, empty strings, timestamps
without a zone or with an offset, result details of every JSON type.
"""

from __future__ import annotations

import copy
import datetime as dt
import json

import msgspec
from django.test import RequestFactory
from django.utils import timezone, translation

from activities.api import parse_page, task_to_dict
from activities.exports.formats import CsvFormat, JsonlFormat
from activities.formatting import RowFormatter
from activities.table_html import rows_html
from sandbox import generate_tasks

from .records import FULL, NULL_HEAVY

NOW = dt.datetime(2026, 12, 1, 15, 7, 30, tzinfo=dt.UTC)
ZONES = ("America/Santiago", "Europe/Madrid")
LANGUAGES = ("en", "es")
# The "show only" links keep the rest of the query: one with a filter the links set
# (status, in the middle), text to quote, and the page they drop; one with nothing.
QUERIES = (
    "per_page=20&status=PENDING&q=a+b%26c%2F%C3%B1&page=3&channel=&range=today",
    "",
)


def _made_here() -> list[dict]:
    """Records the sandbox never sends, each testing one of the presenter's branches."""
    records = [copy.deepcopy(FULL) for _ in range(12)] + [copy.deepcopy(NULL_HEAVY)]
    numbers, escapes, unknown, empty, zones, details, halves, flags = records[:8]
    numbers.update(id=42, commerceExternalId=7.5)
    numbers["activityResult"]["id"] = 9
    numbers["activityDetails"].update(assignedRouteCode=12, assignedOperatorExternalId=3)
    numbers["activityDetails"]["assignedOperator"]["externalId"] = 3.0
    numbers["activityDetails"]["assignedRoute"]["code"] = 12
    numbers["commerceAssignment"]["commerce"]["externalId"] = 7
    escapes.update(
        id="<x>&'\"",
        commerceName='<b>"Tom & Jerry\'s"</b>',
        commerceExternalId="C&<1>",
        channel="SALES<MAN>",
        lifecycleStatusLabel='Hecha <ok> & "bien"',
        lifecycleStatusDetail="línea 1\nlínea\t2  con   espacios\r\n",
        reason={"code": "R&D", "label": "<script>alert('x')</script>"},
    )
    escapes["activityDetails"]["assignedOperator"]["name"] = "O'Brien & <Hijos>"
    escapes["activityDetails"]["assignedRoute"]["name"] = 'Ruta "A&B"'
    escapes["activityResult"]["resultDetails"] = {"comment": "a<b>\nc", "x&y": '"q"'}
    unknown.update(
        status="ARCHIVED",
        activityOrigin="IMPORT",
        channel="WHATSAPP",
        lifecycleStatus="ON_HOLD",
        lifecycleStatusLabel=None,
        userStatus={"code": "NEW_CODE", "label": None},
    )
    unknown["activityResult"].update(resultStatus="PARTIAL_SUCCESS", source="FAX", origin=None)
    empty.update(
        commerceName="",
        channel="",
        lifecycleStatus="",
        lifecycleStatusLabel="",
        lifecycleStatusDetail="",
        commerceExternalId="",
        reason={"code": "", "label": ""},
        userStatus={"code": "X_Y", "label": ""},
    )
    empty["activityDetails"].update(
        assignedRoute={"code": None, "name": "Sin código"},
        assignedOperator={"externalId": None, "name": None, "type": None},
    )
    empty["activityResult"].update(resultStatus=None)
    zones.update(
        scheduledAt="2026-12-01T18:00:00",
        occurredAt="2026-12-01T18:00:00+02:00",
        createdAt="2026-11-30T23:59:59.999-03:00",
    )
    zones["activityResult"].update(occurredAt="2026-12-02T02:30:00Z", createdAt=None)
    details["activityResult"]["resultDetails"] = {
        "yes": True,
        "no": False,
        "float": 1.5,
        "big": 10**20,
        "none": None,
        "list": [1, "x", None],
        "object": {"ñ": "ü", "n": 2},
        "empty": "",
        "zero": 0,
        "lines": "uno\ndos",
    }
    halves.update(status="PENDING", lifecycleStatus="SCHEDULED", canForceRetryDispatch=None)
    halves["activityResult"] = {k: None for k in FULL["activityResult"]}
    halves["activityDetails"].update(assignedOperator=None, assignedRoute=None)
    flags.update(status="PENDING", lifecycleStatus="DISPATCH_FAILED", canForceRetryDispatch=True)
    flags["activityResult"].update(occurredAt=None, resultDetails={})
    # Around now and midnight in each zone: "now", minutes, hours, today or not.
    for record, at in zip(
        records[8:12],
        (
            "2026-12-01T15:07:00Z",
            "2026-12-01T15:08:10Z",
            "2026-12-02T02:30:00Z",
            "2026-12-01T03:30:00Z",
        ),
        strict=True,
    ):
        record.update(status="PENDING", lifecycleStatus="SCHEDULED", scheduledAt=at)
    for number, record in enumerate(records):
        record["id"] = record["id"] if number < 2 else f"golden-{number:02d}"
    return records


def tasks():
    """The golden page's `Task`s, decoded from JSON as the API's answer would be."""
    records = generate_tasks(NOW.date(), count=240) + _made_here()
    meta = {"page": 1, "per_page": len(records), "total": len(records), "totalPages": 1}
    return parse_page(json.dumps({"data": records, "meta": meta})).tasks


def rendered(page) -> dict[str, str]:
    """Every output of the golden page, by name: rows HTML per (language, zone, query),
    CSV per (language, zone), JSON Lines, and the records as the cache stores them."""
    out = {}
    for language in LANGUAGES:
        for number, zone in enumerate(ZONES):
            with translation.override(language), timezone.override(zone):
                query = QUERIES[number]
                request = RequestFactory().get(f"/tasks/?{query}")
                out[f"rows {language} {zone}"] = str(rows_html(RowFormatter(request, NOW), page))
                csv = CsvFormat(timezone.get_current_timezone())
                out[f"csv {language} {zone}"] = (csv.head() + csv.rows(page)).decode()
    out["jsonl"] = JsonlFormat().rows(page).decode()
    out["builtins"] = json.dumps([task_to_dict(task) for task in page], sort_keys=True)
    out["cached"] = msgspec.json.encode(page).decode()
    return out
