"""The task list's shift tools: presets, chips, status tabs, overdue, title, links."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from .records import NULL_HEAVY, task

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
    assert html.count(">Overdue</span>") == 1


def test_times_are_also_relative_with_the_exact_time_on_hover(signed_in, served, now_at):
    served(
        task(scheduledAt="2026-04-15T17:00:00.000Z"),
        task(id="b", scheduledAt="2026-04-12T15:00:00.000Z"),
    )
    html = html_of(signed_in.get(URL))
    assert 'title="Wed 15 Apr 2026, 13:00">13:00</time>' in html
    assert '<span class="sub">in 2 h</span>' in html
    # Another day: the date is in the row, how long ago in the tooltip.
    assert 'title="Sun 12 Apr 2026, 11:00 (3 days ago)">Sun 12 Apr, 11:00</time>' in html


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


# --- Issue 11: landing, presets that never fail, one marker, one language, DOM weight ---


def test_the_landing_page_opens_today_without_a_default_view(signed_in, api):
    response = signed_in.get("/")
    assert (response.status_code, response["Location"]) == (302, "/tasks/?range=today")


def test_the_landing_range_is_a_setting(signed_in, api, settings):
    settings.ACTIVITIES_DEFAULT_RANGE = "this_week"
    assert signed_in.get("/")["Location"] == "/tasks/?range=this_week"
    settings.ACTIVITIES_DEFAULT_RANGE = ""
    assert signed_in.get("/")["Location"] == "/tasks/"


def test_a_default_view_beats_the_landing_range(signed_in, api, user):
    from activities.models import SavedView

    SavedView.objects.create(owner=user, name="Calls", query="channel=CALLCENTER", is_default=True)
    assert signed_in.get("/")["Location"] == "/tasks/?channel=CALLCENTER"


def test_the_overdue_preset_drops_a_status_it_conflicts_with(signed_in, api):
    html = html_of(signed_in.get(URL, {"status": "COMPLETED", "range": "today"}))
    overdue = re.search(r'<a class="preset" href="([^"]*)"[^>]*>Overdue</a>', html).group(1)
    assert overdue == "?range=overdue"
    # ... and the page it leads to is a page of tasks, not an error.
    assert signed_in.get(URL + overdue).status_code == 200
    # A Pending status does not conflict, and stays.
    html = html_of(signed_in.get(URL, {"status": "PENDING"}))
    assert '<a class="preset" href="?status=PENDING&range=overdue">Overdue</a>' in html


def test_an_overdue_row_carries_one_overdue_marker(signed_in, served, now_at):
    served(
        task(
            status="PENDING",
            lifecycleStatus="SCHEDULED",
            lifecycleStatusLabel="Programada",
            lifecycleStatusDetail=None,
            scheduledAt="2026-04-15T12:00:00.000Z",
            activityResult=None,
        )
    )
    html = signed_in.get(URL).content.decode()
    assert html.count(">Overdue</span>") == 1
    assert ">Scheduled</span>" not in html
    assert 'title="Programada"' in html  # the API's own word, as a tooltip


def test_an_unknown_lifecycle_code_shows_the_apis_label(signed_in, served):
    served(task(lifecycleStatus="ON_HOLD", lifecycleStatusLabel="En espera"))
    html = signed_in.get(URL).content.decode()
    assert '<span class="badge tone-neutral" title="En espera' in html
    assert ">En espera</span>" in html


def elements_per_row(html: str) -> list[int]:
    bodies = re.findall(r'<tbody class="task[^"]*".*?</tbody>', html, flags=re.S)
    return [len(re.findall(r"<[a-z][a-z0-9]*[\s>]", body)) for body in bodies]


def test_a_row_stays_light(signed_in, served):
    # Each row's details are in the page (no JavaScript needed) but carry only what the
    # task says, without wrappers: 77 elements for this record at first, 57 with the
    # details as label and value elements, 26 with one line of text per fact.
    served(*[task(id=f"t-{n}") for n in range(20)])
    per_row = elements_per_row(signed_in.get(URL, {"per_page": 20}).content.decode())
    assert len(per_row) == 20 and max(per_row) <= 26, per_row


def test_a_sparse_row_has_no_empty_fields(signed_in, served):
    served(NULL_HEAVY)
    html = signed_in.get(URL).content.decode()
    facts = re.search(r'<p class="facts">(.*?)</p>', html, re.S).group(1).split("\n")
    assert facts[-1] == f"Task ID: {NULL_HEAVY['id']}"
    assert all(re.fullmatch(r"[^:\n]+: \S.*", line) for line in facts), facts
    assert not any(line.endswith(": —") for line in facts), facts
    assert max(elements_per_row(html)) <= 20


def test_one_tab_stop_per_row_before_its_details(signed_in, served):
    served(task())
    html = signed_in.get(URL).content.decode()
    first_row = re.search(r'<tbody class="task[^"]*".*?<tr class="task-more">', html, re.S)
    focusable = re.findall(r"<(a|summary|button|input|select)[\s>]", first_row.group(0))
    assert focusable == ["summary"]
