"""The response cache: hits, misses, expiry, Refresh, stale-if-error."""

from __future__ import annotations

import json
import re

import pytest
from django.core.cache import cache

from activities import service
from activities.api import ApiTimeout, TaskQuery

from .helpers import list_calls
from .records import FULL

URL = "/tasks/"
ONE_PAGE = {"page": 1, "per_page": 20, "total": 1, "totalPages": 1}


def test_a_repeated_view_within_the_ttl_makes_no_api_call(signed_in, api, clock):
    # `clock` holds the service's time still: "just now" is under 2 s, which a loaded
    # machine could otherwise pass between the two requests.
    first = signed_in.get(URL, {"channel": "SALESMAN"})
    second = signed_in.get(URL, {"channel": "SALESMAN"})

    assert first.status_code == second.status_code == 200
    assert len(api.request_log) == 5  # the list and four tab counts, once
    assert "Updated just now" in second.content.decode()


def test_different_filters_are_different_entries(signed_in, api):
    signed_in.get(URL, {"channel": "SALESMAN"})
    signed_in.get(URL, {"channel": "CALLCENTER"})
    signed_in.get(URL, {"channel": "SALESMAN", "page": "2"})
    signed_in.get(URL, {"channel": "CALLCENTER"})

    assert [params.get("channel") for params in list_calls(api)] == [
        "SALESMAN",
        "CALLCENTER",
        "SALESMAN",
    ]


def test_the_key_and_the_api_are_part_of_the_cache_key(api, settings):
    query = TaskQuery(status="PENDING")
    first = service.cache_key(query)
    settings.ACTIVITIES_API_KEY = "another-key-123456"
    assert service.cache_key(query) != first
    assert "another-key" not in service.cache_key(query)


def test_an_expired_entry_is_fetched_again_and_its_age_shown(signed_in, api, clock, settings):
    settings.ACTIVITIES_CACHE_TTL = 30
    signed_in.get(URL)
    clock(12)
    html = signed_in.get(URL).content.decode()
    assert "Updated 12 s ago" in html
    assert len(list_calls(api)) == 1

    clock(30)
    signed_in.get(URL)
    assert len(list_calls(api)) == 2


def test_refresh_bypasses_the_cache_and_lands_on_the_clean_url(signed_in, api):
    signed_in.get(URL, {"status": "PENDING"})
    response = signed_in.get(URL, {"status": "PENDING", "refresh": "1"})

    assert response.status_code == 302
    assert response["Location"] == URL + "?status=PENDING"
    assert len(list_calls(api)) == 2
    html = signed_in.get(response["Location"]).content.decode()
    assert len(list_calls(api)) == 2  # the fresh copy serves the redirect
    refresh = re.search(r'href="([^"]*)">Refresh</a>', html).group(1)
    assert refresh.replace("&amp;", "&") == "?status=PENDING&refresh=1"


def test_a_failing_api_shows_the_older_copy_with_a_banner(signed_in, api, clock, settings):
    signed_in.get(URL, {"channel": "SALESMAN"})
    clock(120)
    api.latency = 1.0
    settings.ACTIVITIES_API_TIMEOUT = 0.2
    settings.ACTIVITIES_API_BUDGET = 0.5

    response = signed_in.get(URL, {"channel": "SALESMAN"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The task service is not answering; showing data from" in html
    assert "did not answer within 0.2 seconds" in html
    assert "Updated 2 min ago" in html
    assert html.count('<tbody class="task') == 20


def test_a_copy_older_than_the_stale_ttl_is_not_shown(signed_in, api, clock, settings):
    settings.ACTIVITIES_STALE_TTL = 600
    signed_in.get(URL)
    clock(601)
    settings.ACTIVITIES_API_KEY = "revoked-key-123456"  # also a new cache key...
    settings.ACTIVITIES_API_BASE_URL = "http://127.0.0.1:9"
    response = signed_in.get(URL)
    assert response.status_code == 503


def test_stale_copies_do_not_hide_rejected_filters(api, monkeypatch):
    query = TaskQuery()
    service.list_tasks(query)

    def boom(*args, **kwargs):
        raise ApiTimeout("slow")

    monkeypatch.setattr(service.client, "list_tasks", boom)
    listing = service.list_tasks(query, refresh=True)
    assert listing.is_stale and isinstance(listing.error, ApiTimeout)


def test_a_failed_refresh_says_so_on_the_page(signed_in, canned):
    canned.answer = (200, "application/json", json.dumps({"data": [FULL], "meta": ONE_PAGE}))
    signed_in.get(URL)
    canned.answer = (500, "application/json", "{}")

    response = signed_in.get(URL, {"refresh": "1"}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Refreshing failed. The task service has a problem of its own (HTTP 500)" in html
    assert "Farmacia Central" in html  # the cached copy is still shown


def test_nothing_is_cached_after_an_error(api, settings):
    settings.ACTIVITIES_API_KEY = "wrong-key-123456"
    with pytest.raises(Exception):  # noqa: B017
        service.list_tasks(TaskQuery())
    assert cache.get(service.cache_key(TaskQuery())) is None
