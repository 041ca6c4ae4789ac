"""The API client against real HTTP servers: the sandbox, and canned faults."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime

import pytest

from activities import api as client
from activities.api import TaskQuery
from sandbox import FORBIDDEN_KEY

from .records import FULL, NULL_HEAVY, task


def test_it_lists_a_page_of_typed_tasks_from_the_sandbox(api):
    page = client.list_tasks(TaskQuery(per_page=10))

    assert len(page.tasks) == 10
    assert page.meta.page == 1 and page.meta.per_page == 10
    assert page.meta.total >= 500
    assert page.meta.total_pages == -(-page.meta.total // 10)
    assert all(isinstance(t, client.Task) for t in page.tasks)
    assert api.request_log[-1]["params"] == {"page": "1", "per_page": "10"}
    assert api.request_log[-1]["has_key"] is True


def test_it_parses_every_field_of_a_full_record(served):
    served(FULL)
    (t,) = client.list_tasks(TaskQuery()).tasks

    assert t.id == FULL["id"]
    assert t.origin == "ACTIVITY" and t.type == "TASK" and t.status == "COMPLETED"
    assert t.scheduled_at == datetime(2026, 4, 15, 13, 0, tzinfo=UTC)
    assert t.scheduled_at.tzinfo is not None
    assert t.lifecycle_label == "Completada"
    assert t.lifecycle_detail == "Visita realizada con pedido"
    assert t.commerce_name == "Farmacia Central"
    assert t.reason == client.Label("CHURN_RISK", "Riesgo de fuga")
    assert t.user_status.label == "Requiere seguimiento"
    assert t.assignment.assignment_reason == "Asignación por ruta"
    assert t.assignment.commerce == client.Commerce("COM-001", "Farmacia Central")
    assert t.route == client.Route("RUTA-NORTE-01", "Ruta Norte")
    assert t.operator == client.Operator("OP-042", "Carlos Pérez", "SALESMAN")
    assert t.result.result_status == "EFFECTIVE"
    assert t.result.occurred_at == datetime(2026, 4, 15, 13, 40, tzinfo=UTC)
    assert t.result.details == {"comment": "Pedido de reposición", "orderAmount": 125000}


def test_it_accepts_a_record_where_every_nullable_field_is_null(served):
    served(NULL_HEAVY)
    (t,) = client.list_tasks(TaskQuery()).tasks

    assert t.origin == "STANDALONE"
    assert t.scheduled_at is None and t.created_at is None
    assert t.reason is None and t.user_status is None and t.assignment is None
    assert t.details is None and t.route is None and t.operator is None
    assert t.result is None
    assert t.commerce_name == "Kiosco Ñandú"


def test_it_accepts_null_parts_inside_details_and_result(served):
    served(
        task(
            activityDetails={
                "type": "TASK",
                "assignedRouteCode": None,
                "assignedOperatorExternalId": None,
                "assignedRoute": None,
                "assignedOperator": None,
            },
            activityResult={**FULL["activityResult"], "channel": None, "resultDetails": None},
            status="ON_HOLD",
            lifecycleStatus="SOMETHING_NEW",
        )
    )
    (t,) = client.list_tasks(TaskQuery()).tasks

    assert t.route is None and t.operator is None
    assert t.result.channel is None and t.result.details is None
    assert t.status == "ON_HOLD" and t.lifecycle_status == "SOMETHING_NEW"


def test_every_record_of_the_sandbox_parses(api):
    first = client.list_tasks(TaskQuery(per_page=100))
    seen = list(first.tasks)
    for number in range(2, first.meta.total_pages + 1):
        seen += client.list_tasks(TaskQuery(per_page=100, page=number)).tasks

    assert len(seen) == first.meta.total
    assert len({t.id for t in seen}) == len(seen)


def test_it_sends_filters_under_the_apis_names_with_utc_instants(api):
    query = TaskQuery(
        page=2,
        per_page=50,
        status="PENDING",
        channel="CALLCENTER",
        scheduled_from=datetime(2026, 4, 15, 3, 0, tzinfo=UTC),
        scheduled_to=datetime(2026, 4, 16, 2, 59, 59, 999999, tzinfo=UTC),
    )
    client.list_tasks(query)

    assert api.request_log[-1]["params"] == {
        "page": "2",
        "per_page": "50",
        "status": "PENDING",
        "channel": "CALLCENTER",
        "scheduled_from": "2026-04-15T03:00:00.000Z",
        "scheduled_to": "2026-04-16T02:59:59.999Z",
    }


def test_it_reuses_one_connection_for_several_calls(api, monkeypatch):
    opened = []
    real_create_connection = socket.create_connection

    def counting(*args, **kwargs):
        opened.append(args[0])
        return real_create_connection(*args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", counting)
    # urllib3 opens its sockets through its own helper; count there too.
    import urllib3.util.connection as u3

    real_u3 = u3.create_connection

    def counting_u3(*args, **kwargs):
        opened.append(args[0])
        return real_u3(*args, **kwargs)

    monkeypatch.setattr(u3, "create_connection", counting_u3)
    client.get_client.cache_clear()
    for _ in range(3):
        client.list_tasks(TaskQuery(per_page=1))

    assert len(opened) == 1


# --- Failures: each is a distinct exception with a readable sentence ---------------


def test_a_missing_key_is_refused_without_calling_the_api(api, settings):
    settings.ACTIVITIES_API_KEY = ""
    with pytest.raises(client.ApiNotConfigured, match="ACTIVITIES_API_KEY"):
        client.list_tasks(TaskQuery())
    assert api.request_log == []


def test_an_invalid_key_is_a_401_error(api, settings):
    settings.ACTIVITIES_API_KEY = "not-the-key-" + "x" * 20
    with pytest.raises(client.ApiUnauthorized) as caught:
        client.list_tasks(TaskQuery())
    assert "did not accept the dashboard's API key" in str(caught.value)
    assert settings.ACTIVITIES_API_KEY not in str(caught.value)


def test_a_key_without_permission_is_a_403_error(api, settings):
    settings.ACTIVITIES_API_KEY = FORBIDDEN_KEY
    with pytest.raises(client.ApiForbidden, match="VIEW_ACTIVITIES"):
        client.list_tasks(TaskQuery())


def test_rejected_parameters_carry_the_apis_message(api):
    with pytest.raises(client.ApiBadRequest) as caught:
        client.list_tasks(TaskQuery(per_page=1000))
    assert caught.value.http_status == 400
    assert "per_page" in str(caught.value)
    assert str(caught.value).startswith("The task service rejected these filters: ")


def test_another_4xx_is_a_client_error(api, settings):
    settings.ACTIVITIES_API_BASE_URL = api.url + "/wrong-prefix"
    with pytest.raises(client.ApiClientError, match=r"HTTP 404"):
        client.list_tasks(TaskQuery())


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_is_a_server_error(canned, status):
    canned.answer = (status, "application/json", '{"message":"boom"}')
    with pytest.raises(client.ApiServerError, match=rf"HTTP {status}"):
        client.list_tasks(TaskQuery())


def test_an_error_body_too_deeply_nested_to_read_is_still_the_apis_error(canned):
    # json.loads raises RecursionError, not ValueError, on such a body: the status says
    # what happened, the unreadable message is left out.
    canned.answer = (500, "application/json", '{"message": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(client.ApiServerError, match=r"HTTP 500") as caught:
        client.list_tasks(TaskQuery())
    assert "[[" not in str(caught.value)


def test_a_slow_api_times_out_after_the_configured_seconds(canned, settings):
    settings.ACTIVITIES_API_TIMEOUT = 0.3
    canned.delay = 2.0
    with pytest.raises(client.ApiTimeout, match=r"within 0.3 seconds") as caught:
        client.list_tasks(TaskQuery())
    assert caught.value.http_status == 504


def test_a_closed_port_is_a_connection_failure(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.ACTIVITIES_API_BASE_URL = f"http://127.0.0.1:{port}"
    settings.ACTIVITIES_API_KEY = "k" * 30
    with pytest.raises(client.ApiUnavailable, match="could not reach") as caught:
        client.list_tasks(TaskQuery())
    assert caught.value.http_status == 503
    assert "k" * 30 not in caught.value.detail


@pytest.mark.parametrize(
    ("content_type", "body", "why"),
    [
        ("application/json", "{not json", "invalid JSON"),
        ("text/html", "<html><h1>502 Bad Gateway</h1>nginx</html>", "Content-Type"),
        ("application/json", '{"meta": {"page":1,"per_page":20,"total":0,"totalPages":0}}', "data"),
        ("application/json", '{"data": []}', "meta"),
        ("application/json", '{"data": {}, "meta": {}}', "data should be a list"),
        ("application/json", '{"data": [], "meta": {"page":"1"}}', "meta.page"),
        ("application/json", '[{"id": "x"}]', "the body"),
        ("application/json", '{"data": [{"id": 1.5, "reason": "x"}], "meta": {}}', "reason"),
        ("application/json", '{"data": [{"scheduledAt": "2026-04-15T13:00:00Z"}]}', "no id"),
    ],
)
def test_a_body_that_is_not_the_documented_shape_is_a_bad_response(canned, content_type, body, why):
    canned.answer = (200, content_type, body)
    with pytest.raises(client.ApiBadResponse, match="could not read") as caught:
        client.list_tasks(TaskQuery())
    assert why in caught.value.detail


def test_a_record_with_a_wrong_typed_field_names_it(served):
    served(task(scheduledAt="next tuesday"))
    with pytest.raises(client.ApiBadResponse) as caught:
        client.list_tasks(TaskQuery())
    assert caught.value.detail == "data[0].scheduledAt is not an ISO 8601 date"


def test_the_key_is_sent_but_never_logged(canned, settings, caplog):
    settings.ACTIVITIES_API_KEY = "secret-key-0123456789"
    canned.answer = (500, "application/json", '{"message":"bad key secret-key-0123456789"}')
    with caplog.at_level(logging.DEBUG), pytest.raises(client.ApiServerError) as caught:
        client.list_tasks(TaskQuery(status="PENDING"))

    assert canned.requests == ["secret-key-0123456789"]
    assert "secret-key-0123456789" not in caplog.text
    assert "secret-key-0123456789" not in caught.value.detail
    assert "secret-key-0123456789" not in repr(client.get_client())
    assert "upstream path=/api/integration/activities/tasks" in caplog.text
    assert "params=page=1&per_page=20&status=PENDING" in caplog.text
    assert "status=500" in caplog.text


def test_a_password_in_the_base_url_never_reaches_a_log_line_or_an_error(settings, caplog):
    settings.ACTIVITIES_API_BASE_URL = "http://admin:s3cret-pass@127.0.0.1:9"
    settings.ACTIVITIES_API_KEY = "k" * 30
    with caplog.at_level(logging.DEBUG), pytest.raises(client.ApiUnavailable) as caught:
        client.list_tasks(TaskQuery())

    assert "s3cret-pass" not in caplog.text + caught.value.detail
    assert repr(client.get_client()) == "<ActivitiesClient http://127.0.0.1:9>"


def test_a_task_round_trips_through_json_ready_data_and_pickle(served):
    import json
    import pickle

    served(FULL, task(id=42, scheduledAt="2026-04-15T13:00:00", canForceRetryDispatch=None))
    by_id = {t.id: t for t in client.list_tasks(TaskQuery()).tasks}
    full, numbered = by_id[FULL["id"]], by_id["42"]

    data = client.task_to_dict(full)
    assert data == json.loads(json.dumps(data))  # JSON-ready
    assert data["activityOrigin"] == "ACTIVITY" and data["commerceAssignment"]["commerce"] == {
        "externalId": "COM-001",
        "name": "Farmacia Central",
    }
    assert data["scheduledAt"] == "2026-04-15T13:00:00Z"
    assert client.task_from_dict(data) == full
    assert pickle.loads(pickle.dumps(full)) == full  # noqa: S301 (the cache pickles pages)
    # Numbers sent as ids are text; a bare timestamp is UTC; a null flag is false.
    assert isinstance(numbered.id, str)
    assert numbered.scheduled_at == datetime(2026, 4, 15, 13, 0, tzinfo=UTC)
    assert numbered.can_force_retry_dispatch is False
    with pytest.raises(client.ShapeError, match="scheduledAt is not an ISO 8601 date"):
        client.task_from_dict({**data, "scheduledAt": "soon"})


def test_the_proxy_variables_are_honoured_as_requests_would(canned, settings, monkeypatch):
    """The client reads HTTP_PROXY and NO_PROXY once, when it is built (requests would
    read them on every call): a proxy is used unless NO_PROXY names the API's host."""
    canned.answer = (200, "application/json", '{"data": [], "meta": {"page": 1, '
                     '"per_page": 20, "total": 0, "totalPages": 0}}')  # fmt: skip
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    for name in ("NO_PROXY", "no_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed}")
    client.get_client.cache_clear()
    with pytest.raises(client.ApiUnavailable):
        client.list_tasks(TaskQuery())
    assert canned.requests == []  # the call went to the (closed) proxy

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client.get_client.cache_clear()
    assert client.list_tasks(TaskQuery()).tasks == ()
    assert len(canned.requests) == 1
