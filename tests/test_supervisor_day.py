"""The task list's shift tools: presets, chips, status tabs, overdue, title, links."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from .records import task

URL = "/tasks/"


def html_of(response) -> str:
    return response.content.decode().replace("&amp;", "&")


def test_presets_are_one_click_links_that_replace_dates(signed_in, api):
    html = html_of(signed_in.get(URL, {"channel": "SALESMAN", "page": "3"}))
    assert '<a class="preset" href="?channel=SALESMAN&range=today">Today</a>' in html
    assert '<a class="preset" href="?channel=SALESMAN&range=this_week">This week</a>' in html


def test_the_active_preset_is_marked_and_described(signed_in, api, monkeypatch, settings):
    settings.TIME_ZONE = "America/Santiago"
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 29, 17, 5, tzinfo=UTC))
    html = html_of(signed_in.get(URL, {"range": "today"}))
    assert 'href="?range=today" aria-current="true">Today</a>' in html
    assert "Today, Sun 29 Nov, 00:00–23:59" in html


def test_each_active_filter_is_a_chip_that_removes_just_it(signed_in, api):
    html = html_of(signed_in.get(URL, {"status": "PENDING", "channel": "CALLCENTER", "page": "2"}))
    chips = re.findall(r'<a class="chip" href="([^"]*)" aria-label="([^"]*)"', html)
    assert chips == [
        ("?channel=CALLCENTER", "Remove filter Status: Pending"),
        ("?status=PENDING", "Remove filter Channel: CALLCENTER"),
    ]
    assert '<a class="chip chip-clear" href="/tasks/">Clear all</a>' in html


def test_no_filters_no_chips(signed_in, api):
    assert 'class="chips"' not in html_of(signed_in.get(URL))


def test_status_tabs_show_counts_under_the_other_filters(signed_in, api):
    html = html_of(signed_in.get(URL, {"channel": "SALESMAN", "page": "2"}))
    salesman = [t for t in api.tasks if t["channel"] == "SALESMAN"]
    expected = {
        "": len(salesman),
        "PENDING": sum(t["status"] == "PENDING" for t in salesman),
        "COMPLETED": sum(t["status"] == "COMPLETED" for t in salesman),
    }
    tabs = re.findall(
        r'<li><a href="([^"]*)"( aria-current="page")?>\s*([^<]+?) <span class="tab-count">([^<]+)',
        html,
    )
    assert [(href, bool(cur), label) for href, cur, label, _ in tabs] == [
        ("?channel=SALESMAN", True, "All"),
        ("?channel=SALESMAN&status=PENDING", False, "Pending"),
        ("?channel=SALESMAN&status=IN_PROGRESS", False, "In progress"),
        ("?channel=SALESMAN&status=COMPLETED", False, "Completed"),
        ("?channel=SALESMAN&status=CANCELLED", False, "Cancelled"),
    ]
    counts = {label: int(count.replace(",", "")) for _, _, label, count in tabs}
    assert counts["All"] == expected[""]
    assert counts["Pending"] == expected["PENDING"]
    assert counts["Completed"] == expected["COMPLETED"]


def test_a_failing_count_shows_a_dash_not_an_error(signed_in, api, monkeypatch):
    from activities import service

    real = service.list_tasks

    def flaky(query, **kwargs):
        if query.per_page == 1 and query.status == "CANCELLED":
            raise service.client.ApiTimeout("slow")
        return real(query, **kwargs)

    monkeypatch.setattr(service, "list_tasks", flaky)
    html = html_of(signed_in.get(URL))
    assert re.search(r'Cancelled <span class="tab-count">–</span>', html)


def test_the_title_describes_the_filters(signed_in, api):
    html = html_of(
        signed_in.get(URL, {"status": "PENDING", "channel": "CALLCENTER", "range": "today"})
    )
    assert "<title>Pending · CALLCENTER · Today — Tasks</title>" in html
    assert "<title>Tasks</title>" in html_of(signed_in.get(URL))


@pytest.fixture
def now_at(monkeypatch):
    instant = datetime(2026, 4, 15, 15, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: instant)
    return instant


def test_pending_tasks_past_their_time_are_marked_overdue(signed_in, served, now_at):
    served(
        task(id="late", status="PENDING", scheduledAt="2026-04-15T13:00:00.000Z"),
        task(id="soon", status="PENDING", scheduledAt="2026-04-15T17:00:00.000Z"),
        task(id="done", status="COMPLETED", scheduledAt="2026-04-15T12:00:00.000Z"),
    )
    html = html_of(signed_in.get(URL))
    assert '<tbody class="task overdue" data-id="late">' in html
    assert '<tbody class="task" data-id="soon">' in html
    assert '<tbody class="task" data-id="done">' in html
    assert html.count('<span class="flag-overdue">Overdue</span>') == 1


def test_times_are_also_relative_with_the_exact_time_on_hover(signed_in, served, now_at):
    served(
        task(scheduledAt="2026-04-15T17:00:00.000Z"),
        task(id="b", scheduledAt="2026-04-12T15:00:00.000Z"),
    )
    html = html_of(signed_in.get(URL))
    assert '<span class="sub" title="Wed 15 Apr 2026, 13:00">in 2 h</span>' in html
    assert '<span class="sub" title="Sun 12 Apr 2026, 11:00">3 days ago</span>' in html


def test_values_in_rows_are_links_that_add_that_filter(signed_in, served):
    served(task())
    html = html_of(signed_in.get(URL, {"result_status": "EFFECTIVE", "page": "1"}))
    assert 'href="?result_status=EFFECTIVE&external_commerce_id=COM-001"' in html
    assert 'href="?result_status=EFFECTIVE&external_operator_id=OP-042"' in html
    assert 'href="?result_status=EFFECTIVE&channel=SALESMAN"' in html
    assert 'href="?result_status=EFFECTIVE&status=COMPLETED"' in html


def test_overdue_view_has_no_status_tabs(signed_in, api):
    html = html_of(signed_in.get(URL, {"range": "overdue"}))
    assert 'class="status-tabs"' not in html
    assert all(e["params"]["status"] == "PENDING" for e in api.request_log)


def test_copy_link_and_auto_refresh_are_enhancements_hidden_without_js(signed_in, api):
    html = html_of(signed_in.get(URL))
    assert '<button type="button" class="button small" data-copy-link hidden>' in html
    assert "data-auto-refresh hidden" in html
    assert "<script src=" in html and "onclick" not in html
