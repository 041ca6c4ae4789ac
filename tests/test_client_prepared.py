"""The client's pre-prepared GET is the request `requests.Session.get` would send."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import requests

from activities.api import TaskQuery
from activities.api.client import TASKS_PATH, ActivitiesClient
from activities.middleware import request_id

QUERIES = [
    TaskQuery(),
    TaskQuery(page=3, per_page=100, status="PENDING", channel="CALLCENTER"),
    TaskQuery(external_commerce_id="COM 001/ñandú&x=1+2", external_operator_id="OP~42?#"),
    TaskQuery(
        scheduled_from=datetime(2026, 4, 15, 3, 0, tzinfo=UTC),
        scheduled_to=datetime(2026, 4, 16, 2, 59, 59, 999000, tzinfo=UTC),
        result_status="NOT_EFFECTIVE",
    ),
]


def _as_requests_would(client: ActivitiesClient, params: dict, rid: str):
    return client.session.prepare_request(
        requests.Request(
            "GET",
            client.base_url + TASKS_PATH,
            params=params,
            headers={"x-api-key": client._api_key, "X-Request-ID": rid},
        )
    )


def test_the_prepared_request_is_the_one_session_get_would_send():
    client = ActivitiesClient(base_url="http://127.0.0.1:8001/", api_key="k" * 30, timeout=5)
    token = request_id.set("abc123")
    try:
        for query in QUERIES:
            params = query.to_params()
            ours, theirs = client._prepared(params), _as_requests_would(client, params, "abc123")
            assert ours.url == theirs.url
            assert list(ours.headers.items()) == list(theirs.headers.items())
            assert ours.method == "GET" and ours.body is None
    finally:
        request_id.reset(token)


def test_each_call_gets_its_own_request_id_and_the_template_stays_clean():
    client = ActivitiesClient(base_url="http://127.0.0.1:8001", api_key="k" * 30, timeout=5)
    first = client._prepared({"page": "1"})
    token = request_id.set("second-id")
    try:
        second = client._prepared({"page": "2"})
    finally:
        request_id.reset(token)
    assert first.headers["X-Request-ID"] == "-" and second.headers["X-Request-ID"] == "second-id"
    assert first.url.endswith("?page=1") and second.url.endswith("?page=2")
    assert "X-Request-ID" not in client._template.headers and "?" not in client._template.url


def test_a_password_in_the_base_url_still_becomes_basic_auth():
    client = ActivitiesClient(
        base_url="http://admin:s3cret-pass@127.0.0.1:8001", api_key="k" * 30, timeout=5
    )
    prepared = client._prepared({"page": "1"})
    expected = base64.b64encode(b"admin:s3cret-pass").decode()
    assert prepared.headers["Authorization"] == f"Basic {expected}"
    assert prepared.headers == _as_requests_would(client, {"page": "1"}, "-").headers
