"""The team pages as a supervisor sees them: numbers that link, charts, freshness, access."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from activities.models import SavedView
from mirror.models import SyncSlice
from tests.helpers_team import at, day_params, local_day, make, store

pytestmark = pytest.mark.django_db
PAGES = (
    "/team/",
    "/team/summary.json",
    "/team/operators/OP-1/",
    "/team/routes/R-1/",
    "/team/commerces/COM-1/",
)


def html(response) -> str:
    return response.content.decode()


def links_to(page: str, path: str) -> list[dict]:
    """The query of every link in `page` to `path`, as dicts of lists."""
    found = re.findall(r'href="' + re.escape(path) + r'\?([^"]*)"', page)
    return [parse_qs(q.replace("&amp;", "&")) for q in found]


def test_sign_in_is_required(client):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_supervisor_permission_is_required(client, outsider):
    client.force_login(outsider)
    for url in PAGES:
        assert client.get(url).status_code == 403


def test_opening_the_team_pages_makes_no_api_call(signed_in, api):
    store(make("a", at(0, 9)), make("b", at(-2, 9), status="COMPLETED", result="EFFECTIVE"))
    for url in (*PAGES, "/team/operators/_none/", "/team/routes/_none/?range=this_week"):
        assert signed_in.get(url).status_code == 200, url
    assert api.request_log == []


def test_the_overview_shows_each_kpi_with_its_change_and_definition(signed_in):
    store(
        make("a", at(-2, 9), status="COMPLETED", result="EFFECTIVE"),
        make("b", at(-2, 10), status="COMPLETED", result="NOT_EFFECTIVE"),
        make("c", at(-3, 10), status="COMPLETED", result="NOT_EFFECTIVE"),
    )
    page = html(signed_in.get("/team/", day_params(-2)))
    for label in ("Scheduled", "Completed", "Cancelled", "Overdue", "Effective", "Not effective"):
        assert f">{label}</p>" in page
    assert "Pending tasks scheduled before now." in page
    # 50 % against 0 % the day before; one task more.
    assert "▲ 50 pts vs the day before" in page
    assert "▲ 1 vs the day before" in page


def test_today_compares_with_yesterday(signed_in):
    store(make("a", at(-1, 9)))
    page = html(signed_in.get("/team/"))
    assert "▼ 1 vs yesterday" in page


def test_operator_numbers_open_their_tasks_with_the_same_period_and_status(signed_in):
    store(make("a", at(-2, 9), status="COMPLETED", result="EFFECTIVE"), make("b", at(-2, 10)))
    page = html(signed_in.get("/team/", {**day_params(-2), "channel": "SALESMAN"}))
    links = links_to(page, "/tasks/")
    day = local_day(-2).isoformat()
    assert {
        "external_operator_id": ["OP-1"],
        "scheduled_from": [day],
        "scheduled_to": [day],
        "status": ["COMPLETED"],
        "channel": ["SALESMAN"],
    } in links
    assert {
        "external_operator_id": ["OP-1"],
        "scheduled_from": [day],
        "scheduled_to": [day],
        "result_status": ["EFFECTIVE"],
        "channel": ["SALESMAN"],
    } in links
    # In a past period every pending task is overdue: its dates and PENDING.
    assert {
        "external_operator_id": ["OP-1"],
        "scheduled_from": [day],
        "scheduled_to": [day],
        "status": ["PENDING"],
        "channel": ["SALESMAN"],
    } in links


def test_a_range_token_is_passed_on_as_it_is_and_overdue_today_opens_overdue(signed_in):
    store(make("a", timezone.now() - timedelta(seconds=1)))
    page = html(signed_in.get("/team/", {"range": "today"}))
    links = links_to(page, "/tasks/")
    assert {"range": ["today"], "external_operator_id": ["OP-1"]} in links
    assert {"range": ["overdue"], "external_operator_id": ["OP-1"]} in links


def test_route_numbers_open_the_route_page(signed_in):
    store(make("a", at(-2, 9), status="CANCELLED"))
    page = html(signed_in.get("/team/", day_params(-2)))
    day = local_day(-2).isoformat()
    assert {"scheduled_from": [day], "scheduled_to": [day], "status": ["CANCELLED"]} in (
        links_to(page, "/team/routes/R-1/")
    )


def test_every_column_header_sorts_and_says_how(signed_in):
    store(make("a", at(-2, 9)))
    page = html(signed_in.get("/team/", {**day_params(-2), "sort": "-effectiveness"}))
    operators = page.split('id="operators-table"')[1].split("</thead>")[0]
    for column in ("name", "id", "tasks", "completed", "effective", "not_effective", "overdue",
                   "cancelled", "completion"):  # fmt: skip
        assert f"sort={column}" in operators
    # The active column reverses on a second click and is announced.
    assert 'aria-sort="descending"' in operators
    assert "sort=effectiveness" in operators


def test_the_no_operator_row_names_itself(signed_in):
    store(make("a", at(-2, 9), operator=None))
    page = html(signed_in.get("/team/", day_params(-2)))
    assert "No operator" in page
    assert "/team/operators/_none/" in page


def test_the_chart_is_hourly_for_a_day_and_daily_for_longer_with_its_table(signed_in):
    store(make("a", at(-2, 9), status="COMPLETED", result="EFFECTIVE"))
    day = html(signed_in.get("/team/", day_params(-2)))
    assert "Tasks per hour" in day
    assert day.count('class="mark o-completed_effective"') == 1
    assert "<title>09: Completed, effective 1</title>" in day
    assert '<th scope="row">09</th>' in day
    week = html(signed_in.get("/team/", {"range": "last_7_days"}))
    assert "Tasks per day" in week
    assert len(re.findall(r"<tr><th scope=\"row\">", week.split("chart-numbers")[1])) >= 7


def test_the_pages_carry_no_inline_style_or_script(signed_in):
    store(make("a", at(-2, 9)))
    for url in PAGES[:1] + PAGES[2:]:
        page = html(signed_in.get(url, day_params(-2)))
        assert " style=" not in page and "<style" not in page
        assert not re.search(r"<script(?![^>]*\bsrc=)", page)


def test_every_page_says_how_fresh_its_data_is(signed_in):
    store(make("a", at(-2, 9)), applied_at=timezone.now() - timedelta(seconds=40))
    for url in PAGES[:1] + PAGES[2:]:
        page = html(signed_in.get(url))
        # 40 s, or a little more on a slow machine.
        assert re.search(r"Data as of \d\d:\d\d, (4\d|5\d) s ago", page), url


def test_stale_data_is_a_warning(signed_in):
    store(make("a", at(-2, 9)), applied_at=timezone.now() - timedelta(hours=1))
    page = html(signed_in.get("/team/"))
    assert "the copy is behind" in page
    assert "alert-warning" in page


def test_a_period_outside_the_synced_window_says_so(signed_in):
    store(make("a", at(-2, 9)))
    page = html(
        signed_in.get("/team/", {"scheduled_from": "2020-01-01", "scheduled_to": "2020-01-02"})
    )
    assert "outside the synced window" in page


def test_a_copy_never_filled_says_so(signed_in):
    SyncSlice.objects.all().delete()
    assert "has not been filled" in html(signed_in.get("/team/"))


def test_the_operator_page_shows_their_day_and_marks_overdue(signed_in):
    store(
        make("late", at(-2, 9), commerce=("COM-9", "Kiosco Ñandú")),
        make("done", at(-2, 10), status="COMPLETED", result="EFFECTIVE", handled=at(-2, 11)),
        make("other", at(-2, 10), operator=("OP-2", "Beto")),
    )
    page = html(signed_in.get("/team/operators/OP-1/", day_params(-2)))
    assert "Operator Ana Rojas" in page
    assert page.count('class="mark late"') == 1
    assert page.count('class="mark handled"') == 1
    assert "Kiosco Ñandú: scheduled" in page
    assert page.count('class="is-overdue"') == 1
    assert "Beto" not in page.split('id="task-table"')[1]


def test_the_route_page_lists_its_operators_and_pages_its_tasks(signed_in):
    tasks = [make(f"t{n:03}", at(-2, 8) + timedelta(minutes=n)) for n in range(60)]
    tasks.append(make("elsewhere", at(-2, 9), route=("R-2", "Ruta Sur")))
    store(*tasks)
    first = html(signed_in.get("/team/routes/R-1/", day_params(-2)))
    assert "Route Ruta Norte" in first
    assert "Page 1 of 2" in first
    assert first.count("<tr") - first.count("<tr><th scope") >= 50
    newest = html(signed_in.get("/team/routes/R-1/", {**day_params(-2), "sort": "-scheduled"}))
    table = newest.split('id="task-table"')[1]
    assert table.index("08:59") < table.index("08:10")
    assert "08:00" not in table  # on page 2
    assert "08:00" in html(
        signed_in.get("/team/routes/R-1/", {**day_params(-2), "sort": "-scheduled", "page": 2})
    )
    assert "Ruta Sur" not in first
    # Its operators' table does not sort: ?sort= there names the tasks' columns.
    operators = first.split('id="operators-table"')[1].split("</table>")[0]
    assert "sort=" not in operators and "Ana Rojas" in operators


def test_the_commerce_page_lists_visits_and_calls_latest_result_first(signed_in):
    store(
        make("old", at(-5, 9), status="COMPLETED", result="NOT_EFFECTIVE", handled=at(-5, 10)),
        make(
            "new",
            at(-2, 9),
            status="COMPLETED",
            result="EFFECTIVE",
            handled=at(-2, 10),
            channel="CALLCENTER",
        ),  # fmt: skip
    )
    page = html(signed_in.get("/team/commerces/COM-1/"))
    assert "Commerce Farmacia Central" in page
    table = page.split('id="task-table"')[1]
    assert table.index("Effective") < table.index("Not effective")
    # The whole window, not a period: no filter bar that would do nothing.
    assert 'class="filters"' not in page


def test_filters_suggest_operators_and_commerces_by_name(signed_in):
    store(make("a", at(-2, 9)))
    page = html(signed_in.get("/team/"))
    assert '<datalist id="team-operators"><option value="OP-1">Ana Rojas (OP-1)</option>' in page
    assert 'list="team-commerces"' in page


def test_a_chip_shows_the_operators_name_and_removes_only_that_one(signed_in):
    store(make("a", at(-2, 9)), make("b", at(-2, 9), operator=("OP-2", "Beto")))
    page = html(
        signed_in.get("/team/", {**day_params(-2), "external_operator_id": ["OP-1", "OP-2"]})
    )
    assert "Operator:</span> Ana Rojas" in page
    chips = page.split('class="chips"')[1].split("</div>")[0]
    removals = [q for q in links_to(chips, "") if "external_operator_id" in q]
    assert {tuple(q["external_operator_id"]) for q in removals} >= {("OP-1",), ("OP-2",)}


def test_an_empty_field_from_the_filter_bar_is_dropped_from_the_url(signed_in):
    response = signed_in.get("/team/?status=&external_operator_id=OP-1&external_operator_id=")
    assert response.status_code == 302
    assert response["Location"] == "/team/?external_operator_id=OP-1"


def test_a_view_saved_from_the_team_page_reopens_it(signed_in, user):
    response = signed_in.post(
        "/views/save", {"name": "Norte hoy", "query": "range=today&route=R-1", "page": "team"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/team/?range=today&route=R-1"
    assert SavedView.objects.get(name="Norte hoy").page == "team"
    team_page = html(signed_in.get("/team/?range=today&route=R-1"))
    assert "Norte hoy" in team_page
    assert "Norte hoy" not in html(signed_in.get("/tasks/", {"range": "today"}))


def test_the_header_links_to_the_team_overview_next_to_tasks(signed_in, api):
    for url in ("/tasks/", "/team/"):
        nav = html(signed_in.get(url)).split('class="site-nav"')[1].split("</nav>")[0]
        assert nav.index('href="/tasks/"') < nav.index('href="/team/"')
    assert 'href="/team/" aria-current="page"' in nav


def test_the_task_lists_filter_bar_suggests_names_and_its_chips_show_them(signed_in, api):
    store(make("a", at(-2, 9), commerce=("COM-5", 'Bar "El Ñandú"')))
    page = html(signed_in.get("/tasks/", {"external_operator_id": "OP-1"}))
    assert 'list="team-operators"' in page and 'list="team-commerces"' in page
    assert '<option value="OP-1">Ana Rojas (OP-1)</option>' in page
    assert "Bar &#34;El Ñandú&#34; (COM-5)" in page
    chips = page.split('class="chips"')[1].split("</div>")[0]
    assert "Ana Rojas (OP-1)" in chips


def test_every_team_page_answers_a_bad_value_with_400_not_an_error(signed_in):
    for url in PAGES[:1] + PAGES[2:]:
        response = signed_in.get(url, {"status": "LOST", "sort": "salary"})
        assert response.status_code == 400, url
        assert "Some filters need fixing." in html(response)


def test_tasks_sort_by_when_they_were_handled_as_shown(signed_in):
    store(
        make("early", at(-2, 9), status="COMPLETED", result="EFFECTIVE", handled=at(-2, 15)),
        make("late", at(-2, 10), status="COMPLETED", result="EFFECTIVE", handled=at(-2, 11)),
    )
    page = html(signed_in.get("/team/operators/OP-1/", {**day_params(-2), "sort": "handled"}))
    table = page.split('id="task-table"')[1]
    assert table.index("11:00") < table.index("15:00")


def test_each_linked_number_says_what_it_counts_and_names_stay_text(signed_in):
    odd = ("OP-<1>", 'Ana <b>"Rojas"</b> & co')
    store(
        make("a", at(-2, 9), status="COMPLETED", result="EFFECTIVE", operator=odd),
        make("b", at(-2, 10), status="COMPLETED", result="EFFECTIVE", operator=odd),
        make("c", at(-2, 11), status="CANCELLED", operator=odd, route=("R-&", "Ruta")),
    )
    page = html(signed_in.get("/team/", day_params(-2)))
    table = page.split('id="operators-table"')[1].split("</table>")[0]
    for words in ("Tasks: 3", "Completed: 2", "Effective: 2", "Cancelled: 1", "Overdue: 0"):
        assert f'aria-label="{words}"' in table
    assert "Ana &lt;b&gt;&#34;Rojas&#34;&lt;/b&gt; &amp; co" in table
    assert "<b>" not in page
    assert '<td class="code">OP-&lt;1&gt;</td>' in table
    assert '">R-&amp;</a>, <a class="code"' in table  # the operator's routes, in order
    assert links_to(table, "/team/routes/R-%26/")


def test_a_long_commerce_history_is_paged(signed_in):
    store(*(make(f"t{n}", at(-1, 9)) for n in range(51)))
    first = html(signed_in.get("/team/commerces/COM-1/"))
    assert "Page 1 of 2" in first
    second = html(signed_in.get("/team/commerces/COM-1/", {"page": 2}))
    assert "Page 2 of 2" in second and ">Previous</a>" in second
