"""The task table's rows built as HTML in Python and kept per page of data
(activities/table_html.py): what a repeat view reuses, and what makes it render anew."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from django.test import RequestFactory
from django.utils import timezone, translation

from activities.api import parse_page
from activities.formatting import RowFormatter
from activities.table_html import TableCache, rows_html

from .records import task

URL = "/tasks/"
AT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def tasks_of(*records):
    body = {
        "data": list(records),
        "meta": {"page": 1, "per_page": 20, "total": len(records), "totalPages": 1},
    }
    return parse_page(json.dumps(body)).tasks


def formatter(now: datetime, query: str = "per_page=20") -> RowFormatter:
    return RowFormatter(RequestFactory().get(f"{URL}?{query}"), now)


def pending_at(when: datetime):
    iso = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return tasks_of(task(status="PENDING", lifecycleStatus="SCHEDULED", scheduledAt=iso))


def test_a_repeat_of_the_same_page_renders_no_row():
    tables, tasks = TableCache(), pending_at(AT + timedelta(hours=2, minutes=30))
    first = tables.rows("v1", formatter(AT), tasks)
    again = tables.rows("v1", formatter(AT + timedelta(seconds=5)), tasks)
    assert again is first  # the same HTML, not built again
    assert "in 2 h" in first


def test_a_kept_table_turns_overdue_when_its_task_passes_its_time():
    tables, tasks = TableCache(), pending_at(AT)
    before = tables.rows("v1", formatter(AT - timedelta(seconds=20)), tasks)
    after = tables.rows("v1", formatter(AT + timedelta(seconds=20)), tasks)
    assert '<tbody class="task"' in before and ">Scheduled</span>" in before
    assert '<tbody class="task overdue"' in after and ">Overdue</span>" in after
    assert after == rows_html(formatter(AT + timedelta(seconds=20)), tasks)


def test_relative_times_move_on_in_a_kept_table():
    tables, tasks = TableCache(), pending_at(AT + timedelta(minutes=30))
    assert "in 30 min" in tables.rows("v1", formatter(AT), tasks)
    later = AT + timedelta(minutes=5)
    assert "in 25 min" in tables.rows("v1", formatter(later), tasks)


def test_the_show_only_links_language_and_zone_each_give_their_own_table():
    tables, tasks = TableCache(), pending_at(AT + timedelta(hours=2))
    plain = tables.rows("v1", formatter(AT), tasks)
    filtered = tables.rows("v1", formatter(AT, "per_page=20&channel=SALESMAN"), tasks)
    assert 'href="?per_page=20&amp;status=PENDING"' in plain
    assert 'href="?per_page=20&amp;channel=SALESMAN&amp;status=PENDING"' in filtered
    with translation.override("es"):
        assert "Mostrar solo" in tables.rows("v1", formatter(AT), tasks)
    with timezone.override("Asia/Tokyo"):
        assert 'title="Wed 02 Dec 2026, 02:00"' in tables.rows("v1", formatter(AT), tasks)
    assert tables.rows("v1", formatter(AT), tasks) is plain


def test_user_text_is_escaped_in_the_built_rows():
    tasks = tasks_of(task(commerceName="<b>Bar & Co</b>", lifecycleStatusDetail='"><img src=x>'))
    html = rows_html(formatter(AT), tasks)
    assert "<b>" not in html and "&lt;b&gt;Bar &amp; Co&lt;/b&gt;" in html
    assert '"><img' not in html and "&#34;&gt;&lt;img src=x&gt;" in html


def test_an_answer_changed_at_the_same_instant_shows_anew(signed_in, canned, clock):
    # A clock that stands still (as here) names both answers alike by time alone.
    def answer(name):
        body = {
            "data": [task(commerceName=name)],
            "meta": {"page": 1, "per_page": 20, "total": 1, "totalPages": 1},
        }
        canned.answer = (200, "application/json", json.dumps(body))

    answer("Farmacia Antigua")
    assert "Farmacia Antigua" in signed_in.get(URL).content.decode()
    answer("Farmacia Nueva")
    signed_in.get(URL, {"refresh": "1"})
    html = signed_in.get(URL).content.decode()
    assert "Farmacia Nueva" in html and "Farmacia Antigua" not in html


def selected(html: str, name: str) -> str:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group()
    return re.search(r'<option value="([^"]*)" selected>', select).group(1)


def test_the_kept_filter_bar_follows_the_values_and_the_language(signed_in, api):
    first = signed_in.get(URL, {"channel": "SALESMAN"}).content.decode()
    other = signed_in.get(URL, {"channel": "CALLCENTER"}).content.decode()
    again = signed_in.get(URL, {"channel": "SALESMAN"}).content.decode()
    assert (selected(first, "channel"), selected(other, "channel")) == ("SALESMAN", "CALLCENTER")
    assert selected(again, "channel") == "SALESMAN"
    signed_in.cookies["django_language"] = "es"
    spanish = signed_in.get(URL, {"channel": "SALESMAN"}).content.decode()
    assert "Cualquier estado" in spanish and "Any status" not in spanish


def test_a_field_error_is_drawn_beside_its_field_after_a_valid_view(signed_in, api):
    signed_in.get(URL, {"scheduled_from": "2026-12-01"})
    response = signed_in.get(URL, {"scheduled_from": "2026-12-01", "scheduled_to": "2026-11-01"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'aria-invalid="true"' in html and "on or after the start date" in html


def test_both_page_link_lists_keep_the_filters(signed_in, api):
    html = signed_in.get(URL, {"channel": "SALESMAN", "per_page": 10, "page": 2}).content.decode()
    navs = re.findall(r'<nav class="paginator" aria-label="([^"]+)">(.*?)</nav>', html, re.S)
    assert [label for label, _ in navs] == ["Page links above the table", "Pages"]
    assert navs[0][1] == navs[1][1]
    assert 'href="?channel=SALESMAN&amp;per_page=10&amp;page=3" rel="next"' in navs[0][1]


def test_a_repeat_view_decodes_no_cached_page_it_already_holds(signed_in, api, monkeypatch):
    from activities import service

    decoded = []
    parse = service.client.parse_page
    monkeypatch.setattr(service.client, "parse_page", lambda body: decoded.append(1) or parse(body))
    first = signed_in.get(URL, {"channel": "SALESMAN"}).content.decode()
    again = signed_in.get(URL, {"channel": "SALESMAN"}).content.decode()
    assert decoded == []  # the list and the four counts, as fetched, not read back
    rows = re.compile(r'<tbody class="task[^"]*" data-id="([^"]+)"')
    assert rows.findall(again) == rows.findall(first) != []
    assert len(api.request_log) == 5


def test_the_kept_presets_follow_the_query_string(signed_in, api):
    def presets(params):
        html = signed_in.get(URL, params).content.decode()
        nav = re.search(r'<nav class="presets".*?</nav>', html, re.S).group()
        return re.findall(r'<a class="preset" href="([^"]+)"( aria-current="true")?', nav)

    today = presets({"range": "today"})
    assert ("?range=today", ' aria-current="true"') in today
    week = presets({"range": "this_week", "channel": "SALESMAN"})
    assert ("?range=this_week&amp;channel=SALESMAN", ' aria-current="true"') in week
    assert ("?range=today&amp;channel=SALESMAN", "") in week
    assert presets({"range": "today"}) == today
    # Overdue drops a status other than Pending, so that the preset never is an error.
    completed = presets({"status": "COMPLETED"})
    assert ("?range=overdue", "") in completed


def test_tasks_sharing_a_slot_read_alike_and_an_offset_keeps_its_own():
    # The same instant three times (14:00 in the dashboard's zone): "Z" twice, then an offset.
    slot = ("2026-12-01T17:00:00.000Z", "2026-12-01T17:00:00.000Z", "2026-12-01T19:00:00+02:00")
    tasks = tasks_of(*(task(id=f"t{n}", scheduledAt=at) for n, at in enumerate(slot)))
    html = rows_html(formatter(AT), tasks)
    times = re.findall(r'<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>', html)
    assert times == [
        ("2026-12-01T17:00:00+00:00", "Tue 01 Dec 2026, 14:00", "14:00"),
        ("2026-12-01T17:00:00+00:00", "Tue 01 Dec 2026, 14:00", "14:00"),
        ("2026-12-01T19:00:00+02:00", "Tue 01 Dec 2026, 14:00", "14:00"),
    ]
    assert html.count('<span class="sub">in 2 h</span>') == 3
