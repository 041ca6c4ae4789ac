"""The team overview in a real browser: from the day's numbers to the tasks behind them."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.helpers_team import make, store

from ..helpers import open_signed_in
from .accessibility import Axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def earlier_today(share: float) -> datetime:
    """An instant between today's local midnight and now: always today, always past."""
    now = timezone.localtime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + (now - midnight) * share


@pytest.fixture
def day(served):
    """Today for two operators, in the local copy and in the API alike."""
    records = [
        make("ana-1", earlier_today(0.2), status="COMPLETED", result="EFFECTIVE"),
        make("ana-2", earlier_today(0.3), status="COMPLETED", result="EFFECTIVE"),
        make(
            "beto-1",
            earlier_today(0.4),
            status="COMPLETED",
            result="NOT_EFFECTIVE",
            operator=("OP-2", "Beto Díaz"),
            route=("R-2", "Ruta Sur"),
        ),  # fmt: skip
        make(
            "beto-2",
            earlier_today(0.5),
            operator=("OP-2", "Beto Díaz"),
            route=("R-2", "Ruta Sur"),
            commerce=("COM-7", "Almacén Lucía"),
        ),  # fmt: skip
        make(
            "beto-3",
            earlier_today(0.6),
            operator=("OP-2", "Beto Díaz"),
            route=("R-2", "Ruta Sur"),
            commerce=("COM-8", "Bazar Tomás"),
        ),  # fmt: skip
    ]
    served(*records)
    store(*records)
    return records


def test_from_the_overview_to_the_worst_operators_overdue_tasks_and_back(e2e, page, day):
    """Both pages on the way also pass an accessibility scan, the overview at 1440 and on
    a phone (one page, resized: the layout is CSS alone), with its numbers open."""
    page.set_viewport_size({"width": 1440, "height": 900})
    open_signed_in(page, e2e.url + "/team/")
    expect(page.get_by_role("heading", name="Team overview", exact=True)).to_be_visible()
    page.locator(".chart-numbers summary").click()
    for width in (1440, 375):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        results = Axe().run(page)
        assert results.violations_count == 0, (width, results.generate_report())
    page.set_viewport_size({"width": 1280, "height": 720})  # Playwright's default
    operators = page.locator("#operators-table")

    # Worst first: effectiveness ascending.
    operators.get_by_role("link", name="Effectiveness").click()
    expect(page).to_have_url(re.compile(r"sort=effectiveness"))
    first = operators.locator("tbody tr").first
    expect(first.locator("th")).to_have_text("Beto Díaz")
    expect(first).to_contain_text("0 %")

    first.get_by_role("link", name="Beto Díaz").click()
    expect(page.get_by_role("heading", name="Operator Beto Díaz")).to_be_visible()
    expect(page.locator("circle.late")).to_have_count(2)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    overdue = page.locator(".kpi", has=page.get_by_text("Overdue", exact=True))
    expect(overdue.locator(".kpi-value")).to_have_text("2")
    overdue.locator(".kpi-value a").click()

    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/tasks/\?.*range=overdue"))
    expect(page).to_have_url(re.compile(r"external_operator_id=OP-2"))
    expect(page.locator("tbody.task")).to_have_count(2)
    expect(page.locator("#results")).to_contain_text("Almacén Lucía")
    expect(page.locator("#results")).to_contain_text("Bazar Tomás")

    page.go_back()
    expect(page.get_by_role("heading", name="Operator Beto Díaz")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Team overview", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/team/\?sort=effectiveness$"))
