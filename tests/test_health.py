"""Health endpoints: /healthz (alive, no API call) and /readyz (one cheap API call)."""

from __future__ import annotations

from sandbox import DEMO_KEY


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
