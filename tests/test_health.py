"""Health endpoints: /healthz (alive, no API call) and /readyz (one cheap API call)."""

from __future__ import annotations

import pytest

from sandbox import DEMO_KEY, FORBIDDEN_KEY


def test_healthz_answers_without_sign_in_or_api_call(client, api):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert api.request_log == []
    assert "no-cache" in response["Cache-Control"]


def test_readyz_makes_one_cheap_call_and_reports_its_latency(client, api):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["api"]["outcome"] == "ok"
    assert isinstance(body["api"]["latency_ms"], int)
    assert [e["params"] for e in api.request_log] == [{"page": "1", "per_page": "1"}]


def test_readyz_is_503_when_the_api_fails_and_reveals_nothing(client, api, settings):
    settings.ACTIVITIES_API_KEY = "wrong-key-123456"
    response = client.get("/readyz")
    text = response.content.decode()
    assert response.status_code == 503
    assert response.json()["api"]["outcome"] == "unauthorized"
    assert "wrong-key" not in text and DEMO_KEY not in text and api.url not in text


def test_readyz_is_503_when_the_api_is_unreachable(client, settings):
    settings.ACTIVITIES_API_BASE_URL = "http://127.0.0.1:9"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["api"]["outcome"] == "unavailable"


def test_every_response_carries_a_request_id(client):
    assert len(client.get("/healthz")["X-Request-ID"]) == 16
    given = client.get("/healthz", headers={"X-Request-ID": "proxy-abc.123"})
    assert given["X-Request-ID"] == "proxy-abc.123"
    odd = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert odd["X-Request-ID"] != "<script>"


def test_readyz_reuses_its_outcome_for_the_ttl_then_asks_again(client, api, monkeypatch):
    from activities import views

    now = [1000.0]
    monkeypatch.setattr(views._readiness, "_clock", lambda: now[0])
    answers = [client.get("/readyz") for _ in range(5)]
    assert [r.status_code for r in answers] == [200] * 5
    assert len(api.request_log) == 1  # one API call for five probes

    now[0] += 4.9  # ACTIVITIES_READYZ_TTL defaults to 5
    client.get("/readyz")
    assert len(api.request_log) == 1
    now[0] += 0.2
    client.get("/readyz")
    assert len(api.request_log) == 2


@pytest.mark.parametrize(
    ("fault", "key", "outcome"),
    [
        ("500", DEMO_KEY, "server_error"),
        ("wrong-shape", DEMO_KEY, "bad_response"),
        ("hang", DEMO_KEY, "timeout"),
        ("reset", DEMO_KEY, "unavailable"),
        (None, FORBIDDEN_KEY, "forbidden"),
    ],
)
def test_readyz_reports_a_stable_token_for_each_outcome(client, api, settings, fault, key, outcome):
    settings.ACTIVITIES_API_KEY = key
    settings.ACTIVITIES_API_TIMEOUT = 0.3
    settings.ACTIVITIES_API_RETRIES = 0
    if fault:
        api.set_fault(fault, delay=1.0 if fault == "hang" else None)
    try:
        response = client.get("/readyz")
    finally:
        api.clear_fault()
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "api": {"outcome": outcome, "latency_ms": response.json()["api"]["latency_ms"]},
    }
