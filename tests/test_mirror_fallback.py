"""/tasks/ when the API is down: the local copy answers a synced period, nothing else."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mirror import sync
from mirror.models import TaskRecord

pytestmark = pytest.mark.django_db

URL = "/tasks/"
DOWN = "http://127.0.0.1:9"  # nothing listens on the discard port: connection refused


def today_param() -> str:
    return timezone.localdate().isoformat()


@pytest.fixture
def synced_today(api, settings):
    """Today synced from the sandbox; then the API becomes unreachable."""
    day = timezone.localdate()
    sync.run(sync.day_spans(day, day), kind="backfill")
    settings.ACTIVITIES_API_BASE_URL = DOWN
    settings.ACTIVITIES_API_RETRIES = 0  # refused at once: no backoff to wait out
    span = sync.day_span(day)
    return TaskRecord.objects.filter(scheduled_at__gte=span.start, scheduled_at__lt=span.end)


def row_ids(html: str) -> list[str]:
    return re.findall(r'<tbody class="task[^"]*" data-id="([^"]+)"', html)


def test_a_synced_period_is_listed_from_the_local_copy_with_a_banner(signed_in, synced_today):
    day = today_param()
    response = signed_in.get(URL, {"scheduled_from": day, "scheduled_to": day})

    html = response.content.decode()
    assert response.status_code == 200
    expected = list(synced_today.order_by("scheduled_at", "id").values_list("id", flat=True))
    assert len(expected) > 20
    assert row_ids(html) == expected[:20]
    assert "own copy of the tasks, as of" in html
    assert "could not reach the task service" in html
    assert f"<strong>{len(expected)}</strong>" in html


def test_the_copy_applies_the_same_filters_page_size_and_order(signed_in, synced_today):
    day = today_param()
    wanted = synced_today.filter(status="PENDING", channel="SALESMAN")
    params = {"scheduled_from": day, "scheduled_to": day, "status": "PENDING"}
    params.update(channel="SALESMAN", per_page=10, page=2)

    response = signed_in.get(URL, params)

    expected = list(wanted.order_by("scheduled_at", "id").values_list("id", flat=True))
    assert response.status_code == 200
    assert row_ids(response.content.decode()) == expected[10:20]


def test_the_status_tabs_count_from_the_copy(signed_in, synced_today):
    day = today_param()
    response = signed_in.get(URL, {"scheduled_from": day, "scheduled_to": day})

    shown = re.findall(r'<span class="tab-count">([^<]+)</span>', response.content.decode())
    expected = [synced_today.count()] + [
        synced_today.filter(status=status).count()
        for status in ("PENDING", "IN_PROGRESS", "COMPLETED", "CANCELLED")
    ]
    assert shown == [str(n) for n in expected]
    assert sum(expected[1:]) <= expected[0]


@pytest.mark.parametrize(
    "params",
    [
        {},  # no period: the copy cannot know the view is whole
        {"scheduled_from": "today", "scheduled_to": "tomorrow"},  # tomorrow never synced
        {"scheduled_from": "long_ago", "scheduled_to": "today"},  # outside the window
    ],
)
def test_anything_the_copy_does_not_cover_keeps_the_error_page(signed_in, synced_today, params):
    days = {
        "today": today_param(),
        "tomorrow": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "long_ago": (timezone.localdate() - timedelta(days=400)).isoformat(),
    }
    response = signed_in.get(URL, {name: days[value] for name, value in params.items()})

    assert response.status_code == 503
    assert "own copy" not in response.content.decode()


def test_exports_stay_live_only(signed_in, synced_today):
    day = today_param()
    response = signed_in.get("/tasks/export.csv", {"scheduled_from": day, "scheduled_to": day})

    assert response.status_code == 503


def test_a_working_api_is_still_asked_even_when_the_copy_covers_the_view(
    signed_in, synced_today, api, settings
):
    settings.ACTIVITIES_API_BASE_URL = api.url
    api.request_log.clear()
    day = today_param()

    response = signed_in.get(URL, {"scheduled_from": day, "scheduled_to": day})

    assert response.status_code == 200
    assert api.request_log
    assert "own copy" not in response.content.decode()
