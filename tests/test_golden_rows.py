"""The task table's rows, the exports and the cached records stay byte for byte what they
were when tests/golden_rows.txt was written (see tests/golden.py for the page).

A change meant to alter what a page shows rewrites the file, and its diff names the
tasks whose rows changed: `GOLDEN_WRITE=1 pytest -n 0 tests/test_golden_rows.py`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from . import golden

EXPECTED = Path(__file__).with_name("golden_rows.txt")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def digests() -> dict[str, str]:
    """One digest per task (its rows in every language, zone and query), one per export."""
    page = golden.tasks()
    out = golden.rendered(page)
    lines: dict[str, str] = {}
    rows = {name: text.split("</tbody>") for name, text in out.items() if name.startswith("rows")}
    for number, task in enumerate(page):
        lines[f"row {number:03d} {task.id}"] = _digest("\n".join(r[number] for r in rows.values()))
    for name, text in out.items():
        if not name.startswith("rows"):
            lines[name] = _digest(text)
    return lines


def test_rows_exports_and_records_are_unchanged():
    found = digests()
    text = "".join(f"{name} {digest}\n" for name, digest in found.items())
    if os.environ.get("GOLDEN_WRITE"):
        EXPECTED.write_text(text, encoding="utf-8")
    expected = dict(line.rsplit(" ", 1) for line in EXPECTED.read_text("utf-8").splitlines())
    changed = [
        name for name in expected.keys() | found.keys() if expected.get(name) != found.get(name)
    ]
    assert not changed, f"{len(changed)} outputs changed, e.g. {sorted(changed)[:5]}"


def test_the_golden_page_holds_every_kind_of_row():
    page = golden.tasks()
    statuses = {task.status for task in page}
    results = {task.result.result_status for task in page if task.result}
    assert {"PENDING", "IN_PROGRESS", "COMPLETED", "CANCELLED", "ARCHIVED", None} <= statuses
    assert {"EFFECTIVE", "NOT_EFFECTIVE", "PENDING", "PARTIAL_SUCCESS", None} <= results
    assert any(task.id == "42" for task in page)  # a number as id, kept as text
    out = golden.rendered(page)
    assert "&lt;script&gt;" in out["rows en America/Santiago"]
    assert "hace 3 días" in out["rows es Europe/Madrid"]
