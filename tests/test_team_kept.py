"""The operator page kept whole (team/kept.py): answered again only while it is the same.

Each test draws a page, then changes one thing the page shows (a key part, or the clock
across an instant where the page changes by itself) and checks that the next page
shows the change. The clock is injected (team.kept.clock), never waited for.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mirror.models import SyncSlice, TaskRecord
from team import charts, kept, pages
from team.filters import TeamFilterSet
from tests.helpers_team import at, make, store

pytestmark = pytest.mark.django_db
PAGE = "/team/operators/OP-1/"
STALE_AFTER = timedelta(seconds=3 * 60)  # 3 × ACTIVITIES_SYNC_INTERVAL (60 s by default)


@pytest.fixture(autouse=True)
def fresh_pages():
    """No page kept by an earlier test (their databases reuse ids and instants)."""
    kept.pages.clear()
    yield
    kept.pages.clear()


def count_calls(monkeypatch, name: str) -> list:
    """A list that grows by one on each call of `team.pages.<name>`."""
    calls = []
    real = getattr(pages, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pages, name, counted)
    return calls


@pytest.fixture
def drawn(monkeypatch):
    """How many times the operator page was drawn (its tasks read), not answered kept."""
    return count_calls(monkeypatch, "detail")


@pytest.fixture
def clock(monkeypatch):
    """Set `clock.now` to move the team pages' clock."""

    class Clock:
        now = timezone.now()

    monkeypatch.setattr(kept, "clock", lambda: Clock.now)
    return Clock


def html(response) -> str:
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def table(page: str) -> str:
    """The page's table of tasks (the timeline above it names them too)."""
    return page[page.rindex("<table") :]


def kpi(page: str, name: str) -> str:
    found = re.search(rf'id="kpi-{name}">.*?<a [^>]*>([^<]*)</a>', page, re.S)
    assert found, name
    return found.group(1)


def same_now_line(first, second) -> bool:
    filters = TeamFilterSet({}, now=first, sort_choices=())
    assert filters.is_valid()
    period = filters.period
    return charts.timeline_x(first, period) == charts.timeline_x(second, period)


def test_a_repeated_page_is_answered_kept_with_a_new_csrf_token(signed_in, drawn, clock):
    store(make("a", at(0, 9), status="COMPLETED", result="EFFECTIVE"), make("b", at(0, 10)))
    first, second = html(signed_in.get(PAGE)), html(signed_in.get(PAGE))
    assert len(drawn) == 1
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    assert token.findall(first) and token.findall(first) != token.findall(second)
    assert token.sub("", first) == token.sub("", second)
    assert "Farmacia Central" in second


def test_a_slice_applied_with_a_change_shows_it_on_the_next_page(signed_in, drawn, clock):
    store(make("a", at(0, 9), status="COMPLETED"), make("b", at(0, 11), status="COMPLETED"))
    assert kpi(html(signed_in.get(PAGE)), "cancelled") == "0"
    assert kpi(html(signed_in.get(PAGE)), "cancelled") == "0"
    assert len(drawn) == 1
    # What a sync's commit does (mirror.sync.sync_span): the rows and the slice's
    # `last_applied_at` together (store() itself changes settings, which drops all pages).
    TaskRecord.objects.filter(id="b").update(status="CANCELLED")
    SyncSlice.objects.update(last_applied_at=timezone.now())
    assert kpi(html(signed_in.get(PAGE)), "cancelled") == "1"
    assert len(drawn) == 2


def test_each_url_language_and_user_has_its_own_page(signed_in, client, django_user_model, clock):
    store(make("a", at(0, 9)), make("b", at(0, 10), commerce=("COM-2", "Almacén Zeta")))
    assert '<html lang="en"' in html(signed_in.get(PAGE))
    assert '<html lang="es"' in html(signed_in.get(PAGE, HTTP_ACCEPT_LANGUAGE="es"))
    ascending = table(html(signed_in.get(PAGE + "?sort=commerce")))
    descending = table(html(signed_in.get(PAGE + "?sort=-commerce")))
    assert ascending.index("Almacén Zeta") < ascending.index("Farmacia Central")
    assert descending.index("Farmacia Central") < descending.index("Almacén Zeta")
    other = django_user_model.objects.create_user(username="marta")
    other.groups.add(*signed_in.get("/").wsgi_request.user.groups.all())
    client.force_login(other)
    assert "marta" in html(client.get(PAGE))


def test_a_pending_task_turns_overdue_on_the_next_page_past_its_time(signed_in, drawn, clock):
    due = timezone.now().replace(microsecond=500_000) + timedelta(minutes=5)
    store(make("late", due), make("done", at(0, 0, 5), status="COMPLETED"))
    before, after = due - timedelta(microseconds=1), due + timedelta(microseconds=1)
    assert same_now_line(before, after)  # only the task's time lies between the two
    clock.now = before
    assert kpi(html(signed_in.get(PAGE)), "overdue") == "0"
    assert kpi(html(signed_in.get(PAGE)), "overdue") == "0"
    assert len(drawn) == 1
    clock.now = after
    page = html(signed_in.get(PAGE))
    assert kpi(page, "overdue") == "1" and "mark late" in page


def test_the_freshness_line_turns_into_the_warning_when_the_slices_grow_stale(signed_in, clock):
    applied = timezone.now().replace(microsecond=0) - timedelta(minutes=10)
    store(make("a", at(0, 9), status="COMPLETED"), applied_at=applied)
    before = applied + STALE_AFTER
    after = before + timedelta(microseconds=1)
    assert same_now_line(before, after)
    clock.now = before
    page = html(signed_in.get(PAGE))
    assert "3 min ago" in page and "the copy is behind" not in page
    clock.now = after
    assert "the copy is behind" in html(signed_in.get(PAGE))


def test_the_age_in_words_is_new_on_every_kept_page(signed_in, drawn, clock):
    applied = timezone.now().replace(microsecond=0) - timedelta(seconds=30)
    store(make("a", at(-1, 9), status="COMPLETED"), applied_at=applied)
    yesterday = PAGE + "?range=yesterday"  # its "now" line stays at its end: no redraw
    clock.now = applied + timedelta(seconds=12)
    assert "12 s ago" in html(signed_in.get(yesterday))
    clock.now = applied + timedelta(seconds=13)
    page = html(signed_in.get(yesterday))
    assert "13 s ago" in page and "12 s ago" not in page
    assert len(drawn) == 1


def test_the_now_line_moves_on_the_next_page(signed_in, clock):
    store(make("a", at(0, 9), status="COMPLETED"))
    line = re.compile(r'<line class="now" x1="([\d.]+)"')
    clock.now = at(0, 8)
    first = line.search(html(signed_in.get(PAGE))).group(1)
    clock.now = at(0, 8) + timedelta(minutes=1)
    assert line.search(html(signed_in.get(PAGE))).group(1) != first


def test_today_turns_into_the_next_day_at_midnight(signed_in, clock):
    store(
        make("today", at(0, 23, 30), status="COMPLETED"),
        make("tomorrow", at(1, 0, 30), status="COMPLETED", commerce=("COM-3", "Bazar Alba")),
    )
    clock.now = at(1, 0) - timedelta(microseconds=1)
    page = table(html(signed_in.get(PAGE + "?range=today")))
    assert "Farmacia Central" in page and "Bazar Alba" not in page
    clock.now = at(1, 0)
    page = table(html(signed_in.get(PAGE + "?range=today")))
    assert "Bazar Alba" in page and "Farmacia Central" not in page


def test_a_period_that_ends_now_or_leaves_the_window_is_never_kept(signed_in, drawn):
    store(make("a", at(0, 9)))
    for path in (PAGE + "?range=overdue", PAGE + "?scheduled_from=2000-01-01"):
        html(signed_in.get(path))
        html(signed_in.get(path))
    assert len(drawn) == 4
    assert SyncSlice.objects.exists()


# --- The overview, kept the same way -------------------------------------------------------


@pytest.fixture
def overview_drawn(monkeypatch):
    """How many times the overview was drawn (its numbers counted), not answered kept."""
    return count_calls(monkeypatch, "overview")


def test_the_overview_is_answered_kept_until_a_slice_is_applied(signed_in, overview_drawn, clock):
    store(make("a", at(0, 9), status="COMPLETED"), make("b", at(0, 11), status="COMPLETED"))
    first, second = html(signed_in.get("/team/")), html(signed_in.get("/team/"))
    assert len(overview_drawn) == 1
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    assert token.sub("", first) == token.sub("", second)
    assert kpi(second, "cancelled") == "0"
    TaskRecord.objects.filter(id="b").update(status="CANCELLED")
    SyncSlice.objects.update(last_applied_at=timezone.now())
    assert kpi(html(signed_in.get("/team/")), "cancelled") == "1"
    assert len(overview_drawn) == 2
    # Another filter is another page.
    assert kpi(html(signed_in.get("/team/?channel=CALLCENTER")), "cancelled") == "0"
    assert len(overview_drawn) == 3


def test_the_overview_counts_a_task_overdue_on_the_next_page_past_its_time(
    signed_in, overview_drawn, clock
):
    due = timezone.now().replace(microsecond=500_000) + timedelta(minutes=5)
    store(
        make("late", due, operator=("OP-9", "Otro Operador")),
        make("done", at(0, 0, 5), status="COMPLETED"),
    )
    clock.now = due - timedelta(microseconds=1)
    assert kpi(html(signed_in.get("/team/")), "overdue") == "0"
    assert kpi(html(signed_in.get("/team/")), "overdue") == "0"
    assert len(overview_drawn) == 1
    clock.now = due + timedelta(microseconds=1)
    assert kpi(html(signed_in.get("/team/")), "overdue") == "1"
