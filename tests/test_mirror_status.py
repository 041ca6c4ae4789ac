"""Where the syncer's state shows: /team/sync/ (staff only), check_api, the system check."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from mirror import sync
from mirror.checks import check_sync_running
from mirror.models import SyncRun

pytestmark = pytest.mark.django_db

URL = "/team/sync/"


@pytest.fixture
def synced(api, settings):
    """Today synced; tomorrow failed (the API refused a connection)."""
    day = timezone.localdate()
    sync.run(sync.day_spans(day, day), kind="backfill")
    settings.ACTIVITIES_API_BASE_URL = "http://127.0.0.1:9"
    settings.ACTIVITIES_API_RETRIES = 0
    sync.run(sync.day_spans(day + timedelta(days=1), day + timedelta(days=1)), kind="backfill")


def test_staff_see_the_last_runs_and_each_slices_freshness(client, admin_user, synced):
    client.force_login(admin_user)
    response = client.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Data for today as of" in html
    assert html.count("<code>backfill</code>") == 2
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert f"<code>{tomorrow}</code> ApiUnavailable" in html
    assert "never" in html  # tomorrow's slice was never applied


def test_supervisors_who_are_not_staff_get_403(signed_in, synced):
    assert signed_in.get(URL).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_check_api_ends_with_the_copys_freshness_and_the_last_runs(synced, api, settings):
    settings.ACTIVITIES_API_BASE_URL = api.url
    out = StringIO()
    call_command("check_api", stdout=out)

    text = out.getvalue()
    assert "Local copy: data for today as of" in text
    assert text.count("Sync run:") == 2
    assert "0 applied, 1 failed" in text and "ApiUnavailable" in text


def test_production_warns_when_no_sync_finished_in_ten_intervals(settings):
    settings.DEBUG = False
    settings.ACTIVITIES_SYNC_INTERVAL = 60
    now = timezone.now()

    assert [w.id for w in check_sync_running(None)] == ["mirror.W001"]  # never synced
    run = SyncRun.objects.create(
        started_at=now, finished_at=now - timedelta(minutes=11), kind="hot",
        window_start=now, window_end=now,
    )  # fmt: skip
    assert "since" in check_sync_running(None)[0].msg
    run.finished_at = now - timedelta(minutes=9)
    run.save()
    assert check_sync_running(None) == []
    settings.DEBUG = True
    SyncRun.objects.all().delete()
    assert check_sync_running(None) == []
