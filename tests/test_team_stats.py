"""The team overview's definitions, one test each, read through /team/summary.json.

The copy is built as a sync writes it (tests/helpers_team.py); the JSON and the page
share team.stats, so these numbers are the page's too (test_team_pages checks that).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from tests.helpers_team import at, day_params, local_day, make, store

pytestmark = pytest.mark.django_db


def summary(client, **params) -> dict:
    response = client.get("/team/summary.json", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_status_counts_count_status(signed_in):
    store(
        make("c1", at(-2, 9), status="COMPLETED"),
        make("c2", at(-2, 10), status="COMPLETED"),
        make("x1", at(-2, 11), status="CANCELLED"),
        make("i1", at(-2, 12), status="IN_PROGRESS"),
        make("p1", at(-2, 13), status="PENDING"),
    )
    totals = summary(signed_in, **day_params(-2))["totals"]
    assert (totals["tasks"], totals["completed"], totals["cancelled"]) == (5, 2, 1)
    assert (totals["in_progress"], totals["pending"]) == (1, 1)


def test_effective_counts_the_result_whatever_the_status(signed_in):
    store(
        make("e1", at(-2, 9), status="COMPLETED", result="EFFECTIVE"),
        make("e2", at(-2, 10), status="IN_PROGRESS", result="EFFECTIVE"),
        make("n1", at(-2, 11), status="COMPLETED", result="NOT_EFFECTIVE"),
        make("p1", at(-2, 12), status="COMPLETED", result="PENDING"),
    )
    totals = summary(signed_in, **day_params(-2))["totals"]
    assert (totals["effective"], totals["not_effective"]) == (2, 1)
    assert totals["effectiveness"] == pytest.approx(2 / 3)


def test_effectiveness_is_null_without_any_effective_or_not_effective_result(signed_in):
    store(make("p1", at(-2, 12), status="COMPLETED", result="PENDING"), make("p2", at(-2, 13)))
    body = summary(signed_in, **day_params(-2))
    assert body["totals"]["effectiveness"] is None
    assert body["operators"][0]["effectiveness"] is None


def test_overdue_is_pending_and_scheduled_before_now(signed_in):
    store(
        make("late", at(-2, 9), status="PENDING"),
        make("done", at(-2, 10), status="COMPLETED"),
        make("later", at(2, 9), status="PENDING"),
    )
    params = {"scheduled_from": local_day(-2).isoformat(), "scheduled_to": local_day(2).isoformat()}
    totals = summary(signed_in, **params)["totals"]
    assert totals["pending"] == 2
    assert totals["overdue"] == 1


def test_a_period_is_local_days_in_the_viewers_time_zone(signed_in):
    # 02:30 UTC on day D is 23:30 (or 22:30) the evening before in Santiago.
    utc_day = local_day(-2)
    moment = datetime.combine(utc_day, time(2, 30), tzinfo=UTC)
    store(make("evening", moment))
    santiago = summary(signed_in, **day_params(-3))
    assert santiago["totals"]["tasks"] == 1
    assert santiago["from"].endswith(("-03:00", "-04:00"))

    signed_in.cookies["tz"] = "UTC"
    in_utc = summary(
        signed_in, scheduled_from=utc_day.isoformat(), scheduled_to=utc_day.isoformat()
    )
    assert in_utc["totals"]["tasks"] == 1
    assert in_utc["from"] == f"{utc_day.isoformat()}T00:00:00+00:00"
    assert in_utc["to"] == f"{(utc_day + timedelta(days=1)).isoformat()}T00:00:00+00:00"


def test_the_default_period_is_today_and_a_range_token_works_as_on_tasks(signed_in):
    store(make("today", at(0, 0, 30)), make("yesterday", at(-1, 23, 30)))
    assert summary(signed_in)["totals"]["tasks"] == 1
    assert summary(signed_in, range="yesterday")["totals"]["tasks"] == 1
    assert summary(signed_in, range="last_7_days")["totals"]["tasks"] == 2


def test_a_task_without_scheduled_at_belongs_to_no_period(signed_in):
    store(make("nowhen", None), make("when", at(-2, 9)))
    window = {
        "scheduled_from": local_day(-30).isoformat(),
        "scheduled_to": local_day(10).isoformat(),
    }
    assert summary(signed_in, **window)["totals"]["tasks"] == 1


def test_as_of_is_the_oldest_covering_slice_with_its_offset(signed_in):
    applied = timezone.now() - timedelta(minutes=5)
    store(make("a", at(-2, 9)), applied_at=applied)
    as_of = datetime.fromisoformat(summary(signed_in, **day_params(-2))["as_of"])
    assert as_of == applied
    assert as_of.utcoffset() is not None


def test_the_operator_is_the_assigned_operator_else_the_bare_id(signed_in):
    bare = make("bare", at(-2, 10), operator=None)
    bare["activityDetails"]["assignedOperatorExternalId"] = "OP-1"
    store(make("full", at(-2, 9)), bare)
    operators = summary(signed_in, **day_params(-2))["operators"]
    assert [(o["external_id"], o["name"], o["tasks"]) for o in operators] == [
        ("OP-1", "Ana Rojas", 2)
    ]


def test_the_route_is_the_assigned_route_else_the_bare_code(signed_in):
    bare = make("bare", at(-2, 10), route=None)
    bare["activityDetails"]["assignedRouteCode"] = "R-1"
    store(make("full", at(-2, 9)), bare)
    routes = summary(signed_in, **day_params(-2))["routes"]
    assert [(r["code"], r["name"], r["tasks"]) for r in routes] == [("R-1", "Ruta Norte", 2)]


def test_tasks_without_operator_or_route_are_one_row_with_a_null_key(signed_in):
    store(
        make("a", at(-2, 9), operator=None, route=None),
        make("b", at(-2, 10), operator=None, route=None, status="COMPLETED"),
        make("c", at(-2, 11)),
    )
    body = summary(signed_in, **day_params(-2))
    nobody = [o for o in body["operators"] if o["external_id"] is None]
    assert len(nobody) == 1
    assert (nobody[0]["name"], nobody[0]["tasks"], nobody[0]["completed"]) == (None, 2, 1)
    noroute = [r for r in body["routes"] if r["code"] is None]
    assert len(noroute) == 1 and noroute[0]["tasks"] == 2


def test_the_json_has_exactly_the_documented_keys(signed_in):
    store(make("a", at(-2, 9)))
    body = summary(signed_in, **day_params(-2))
    counts = {
        "tasks", "completed", "cancelled", "in_progress", "pending", "overdue",
        "effective", "not_effective", "effectiveness",
    }  # fmt: skip
    assert set(body) == {"as_of", "from", "to", "totals", "operators", "routes"}
    assert set(body["totals"]) == counts
    assert set(body["operators"][0]) == counts | {"external_id", "name"}
    assert set(body["routes"][0]) == counts | {"code", "name"}


def test_filters_narrow_the_numbers(signed_in):
    store(
        make("a", at(-2, 9), channel="SALESMAN"),
        make("b", at(-2, 9), channel="CALLCENTER", operator=("OP-2", "Beto")),
        make("c", at(-2, 9), channel="CALLCENTER", route=("R-2", "Ruta Sur")),
    )
    day = day_params(-2)
    assert summary(signed_in, channel="CALLCENTER", **day)["totals"]["tasks"] == 2
    assert summary(signed_in, route="R-2", **day)["totals"]["tasks"] == 1
    both = signed_in.get(
        "/team/summary.json", {**day, "external_operator_id": ["OP-1", "OP-2"]}
    ).json()
    assert both["totals"]["tasks"] == 3
    assert summary(signed_in, external_operator_id="OP-2", **day)["totals"]["tasks"] == 1


def test_rows_sort_by_the_column_asked_for(signed_in):
    store(
        make("a1", at(-2, 9), status="COMPLETED", result="EFFECTIVE"),
        make(
            "b1", at(-2, 9), status="COMPLETED", result="NOT_EFFECTIVE", operator=("OP-2", "Beto")
        ),
        make("b2", at(-2, 9), operator=("OP-2", "Beto")),
    )
    day = day_params(-2)
    worst_first = summary(signed_in, sort="effectiveness", **day)["operators"]
    assert [o["external_id"] for o in worst_first] == ["OP-2", "OP-1"]
    busiest_first = summary(signed_in, sort="-tasks", **day)["operators"]
    assert [o["external_id"] for o in busiest_first] == ["OP-2", "OP-1"]
    by_name = summary(signed_in, sort="-name", **day)["operators"]
    assert [o["name"] for o in by_name] == ["Beto", "Ana Rojas"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "LOST"}, "status"),
        ({"sort": "salary"}, "sort"),
        ({"scheduled_from": "yesterday"}, "scheduled_from"),
        ({"range": "today", "scheduled_from": "2026-11-01"}, "range"),
        ({"scheduled_from": "2026-11-05", "scheduled_to": "2026-11-01"}, "scheduled_to"),
        ({"external_operator_id": "x" * 65}, "external_operator_id"),
        ({"range": "someday"}, "range"),
    ],
)
def test_a_bad_value_answers_400_with_the_fields_error(signed_in, params, field):
    response = signed_in.get("/team/summary.json", params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    page = signed_in.get("/team/", params)
    assert page.status_code == 400
    assert b"field-error" in page.content


def test_both_tables_fold_every_task_once_and_sort_with_nulls_last(signed_in):
    # Both tables come from one grouping by (operator, route): each row's counts, the
    # totals, an operator's routes and every ordering must be what they were per table.
    store(
        make("a1", at(-2, 9), status="COMPLETED", result="EFFECTIVE", route=("R-2", "Ruta Sur")),
        make("a2", at(-2, 10), status="COMPLETED", result="NOT_EFFECTIVE"),
        make("b1", at(-2, 9), status="COMPLETED", result="EFFECTIVE", operator=("OP-2", "Beto")),
        make("c1", at(-2, 9), operator=("OP-3", "Caro"), route=None),
        make("n1", at(-2, 11), status="CANCELLED", operator=None),
    )
    day = day_params(-2)
    data = summary(signed_in, sort="-effectiveness", **day)
    # 100 %, 50 %, then the rows with no result at all, by id, the null id last.
    assert [o["external_id"] for o in data["operators"]] == ["OP-2", "OP-1", "OP-3", None]
    ana = data["operators"][1]
    assert (ana["tasks"], ana["completed"], ana["effective"], ana["not_effective"]) == (2, 2, 1, 1)
    assert ana["effectiveness"] == 0.5
    assert data["totals"]["tasks"] == 5 and data["totals"]["cancelled"] == 1
    routes = {r["code"]: (r["name"], r["tasks"], r["cancelled"]) for r in data["routes"]}
    assert routes == {"R-1": ("Ruta Norte", 3, 1), "R-2": ("Ruta Sur", 1, 0), None: (None, 1, 0)}
    assert [o["external_id"] for o in summary(signed_in, sort="-id", **day)["operators"]] == [
        "OP-3",
        "OP-2",
        "OP-1",
        None,
    ]
    by_name = summary(signed_in, **day)["operators"]
    assert [o["name"] for o in by_name] == ["Ana Rojas", "Beto", "Caro", None]
    page = signed_in.get("/team/", day).content.decode()
    ana_row = page.split('href="/team/operators/OP-1/')[1].split("</tr>")[0]
    assert "R-1</a>, <a" in ana_row and "R-2</a>" in ana_row  # the routes she worked
