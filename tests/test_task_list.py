"""The task list page through Django's test client, with the sandbox over real HTTP."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from sandbox import DEMO_KEY, FORBIDDEN_KEY

from .helpers import list_calls
from .records import NULL_HEAVY, task

URL = "/tasks/"


def page_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="paginator".*?</nav>', html, re.S)
    assert nav, "no paginator"
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', nav.group())]


def pages_of(sandbox, per_page, **equal):
    """How many pages the sandbox's tasks matching `equal` fill."""
    matching = [t for t in sandbox.tasks if all(t.get(k) == v for k, v in equal.items())]
    return -(-len(matching) // per_page)


def test_the_home_page_needs_a_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_the_home_page_lands_on_todays_tasks(signed_in):
    response = signed_in.get("/")
    assert response.status_code == 302
    assert response["Location"] == URL + "?range=today"


def test_the_home_page_lands_on_the_users_default_view(signed_in, user, api):
    from activities.models import SavedView

    SavedView.objects.create(owner=user, name="Mine", query="range=today", is_default=True)
    response = signed_in.get("/")
    assert response["Location"] == URL + "?range=today"
    # /tasks/ itself still shows every task: "Clear all" must not bounce back.
    assert signed_in.get(URL, {"page": "1"}).status_code == 200


def test_it_lists_tasks_with_the_total_and_the_rows_shown(signed_in, api):
    response = signed_in.get(URL, {"per_page": "20", "page": "2"})

    html = response.content.decode()
    total = api.tasks.__len__()
    assert response.status_code == 200
    assert f"showing 21–40 of {total:,}" in html
    assert html.count('<tbody class="task') == 20
    assert len(list_calls(api)) == 1


def test_a_page_view_is_one_list_call_plus_one_count_per_other_status_tab(signed_in, api):
    signed_in.get(
        URL,
        {
            "status": "PENDING",
            "result_status": "PENDING",
            "channel": "CALLCENTER",
            "external_commerce_id": "COM-001",
            "external_operator_id": "OP-042",
            "scheduled_from": "2026-11-29",
            "scheduled_to": "2026-11-30",
            "per_page": "50",
            "page": "2",
        },
    )

    filters = {
        "result_status": "PENDING",
        "channel": "CALLCENTER",
        "external_commerce_id": "COM-001",
        "external_operator_id": "OP-042",
        "scheduled_from": "2026-11-29T03:00:00.000Z",
        "scheduled_to": "2026-12-01T02:59:59.999Z",
    }
    assert list_calls(api) == [{"page": "2", "per_page": "50", "status": "PENDING", **filters}]
    counts = sorted(
        (e["params"] for e in api.request_log if e["params"]["per_page"] == "1"),
        key=lambda p: p.get("status", ""),
    )
    assert counts == [
        {"page": "1", "per_page": "1", **filters},
        {"page": "1", "per_page": "1", "status": "CANCELLED", **filters},
        {"page": "1", "per_page": "1", "status": "COMPLETED", **filters},
        {"page": "1", "per_page": "1", "status": "IN_PROGRESS", **filters},
    ]


def test_it_keeps_filters_in_page_links(signed_in, api):
    response = signed_in.get(URL, {"channel": "SALESMAN", "per_page": "10", "page": "3"})

    links = page_links(response.content.decode())
    assert links, "expected page links"
    for link in links:
        params = parse_qs(urlsplit(link).query)
        assert params["channel"] == ["SALESMAN"]
        assert params["per_page"] == ["10"]
    pages = [parse_qs(urlsplit(link).query)["page"][0] for link in links]
    last = str(pages_of(api, 10, channel="SALESMAN"))
    assert pages[:2] == ["1", "2"]  # first, previous
    assert pages[-2:] == ["4", last]  # next, last
    assert 'aria-current="page">3<' in response.content.decode()


def test_a_submitted_form_with_empty_fields_redirects_to_a_clean_bookmark(signed_in, api):
    response = signed_in.get(URL + "?status=&channel=SALESMAN&result_status=&scheduled_from=")

    assert response.status_code == 302
    assert response["Location"] == URL + "?channel=SALESMAN"
    assert api.request_log == []


# What the filter bar sends after "/" landed on today and the supervisor typed dates:
# every field, blanks included, with "When" still on Today.
FILTER_BAR_WITH_DATES = (
    "?status=&result_status=&channel=&range=today&scheduled_from=2026-11-02"
    "&scheduled_to=2026-11-03&external_commerce_id=&external_operator_id=&per_page=20"
)


def test_dates_typed_in_the_filter_bar_replace_the_preset(signed_in, api):
    response = signed_in.get(URL + FILTER_BAR_WITH_DATES)

    assert response.status_code == 302
    assert response["Location"] == (
        URL + "?scheduled_from=2026-11-02&scheduled_to=2026-11-03&per_page=20"
    )
    page = signed_in.get(response["Location"])
    assert page.status_code == 200
    assert "The dates you entered replaced the preset “Today”." in page.content.decode()
    assert 'name="scheduled_from" value="2026-11-02"' in page.content.decode()


def test_a_url_with_a_preset_and_dates_but_no_blanks_is_still_a_form_error(signed_in, api):
    response = signed_in.get(URL + "?range=today&scheduled_from=2026-11-02&scheduled_to=2026-11-03")

    assert response.status_code == 400
    assert "Choose a preset range or dates, not both." in response.content.decode()
    assert api.request_log == []


def test_the_form_shows_the_current_filters(signed_in, api):
    html = signed_in.get(URL, {"channel": "CALLCENTER", "scheduled_from": "2026-11-01"}).content
    html = html.decode()
    assert '<option value="CALLCENTER" selected>' in html
    assert 'name="scheduled_from" value="2026-11-01"' in html


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"scheduled_from": "yesterday"}, "scheduled_from"),
        ({"scheduled_from": "2026-11-30", "scheduled_to": "2026-11-01"}, "scheduled_to"),
        ({"per_page": "1000"}, "per_page"),
        ({"status": "DONE"}, "status"),
        ({"channel": "<script>"}, "channel"),
        ({"external_commerce_id": "x" * 10_000}, "external_commerce_id"),
    ],
)
def test_invalid_filters_are_a_400_with_the_error_beside_the_field(signed_in, api, params, field):
    response = signed_in.get(URL, params)

    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}-error"' in html
    assert f'aria-describedby="id_{field}-error"' in html
    assert "Some filters need fixing" in html
    assert api.request_log == []


def test_page_zero_is_a_400_without_an_api_call(signed_in, api):
    response = signed_in.get(URL, {"page": "0"})
    assert response.status_code == 400
    assert "Page: Ensure this value is greater than or equal to 1." in response.content.decode()
    assert api.request_log == []


def test_a_page_past_the_end_links_back_to_the_last_page(signed_in, api):
    response = signed_in.get(URL, {"channel": "SALESMAN", "page": "999"})

    html = response.content.decode()
    last = pages_of(api, 20, channel="SALESMAN")
    assert response.status_code == 200
    assert "This page is past the end of the list" in html
    assert f'href="?channel=SALESMAN&amp;page={last}"' in html


def test_no_match_is_a_friendly_empty_state(signed_in, api):
    response = signed_in.get(URL, {"external_commerce_id": "NOBODY"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "No tasks match these filters" in html
    assert 'class="paginator"' not in html


def test_rows_show_the_lifecycle_badge_commerce_operator_route_and_result(signed_in, served):
    served(
        task(
            lifecycleStatus="DISPATCH_FAILED",
            lifecycleStatusLabel="Error de envío",
            lifecycleStatusDetail="El dispositivo del vendedor no respondió",
            scheduledAt="2026-04-15T13:00:00.000Z",
        )
    )
    html = signed_in.get(URL).content.decode()

    # Our word for a known code, the API's label and detail as its tooltip.
    assert (
        '<span class="badge tone-danger" title="Error de envío — El dispositivo del vendedor'
        ' no respondió">Dispatch failed</span>' in html
    )
    # 13:00Z is 09:00 in Santiago in April (UTC-4).
    assert "Wed 15 Apr 2026, 09:00" in html
    assert "Farmacia Central" in html and "COM-001" in html
    assert "Riesgo de fuga" in html
    assert "Carlos Pérez" in html and '<span class="sub code">OP-042</span>' in html
    assert "\nOperator type: SALESMAN\n" in html  # a fact of the details, one per line
    assert '<a href="?external_operator_id=OP-042">Operator: OP-042</a>' in html
    assert "Ruta Norte" in html and "RUTA-NORTE-01" in html
    assert '<span class="badge tone-success">Effective</span>' in html
    assert "Asignación por ruta" in html and "Requiere seguimiento" in html
    assert "Pedido de reposición" in html and "125000" in html


def test_a_null_heavy_record_renders_with_dashes(signed_in, served):
    served(NULL_HEAVY)
    response = signed_in.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Kiosco Ñandú" in html
    assert "Not scheduled" in html and "No result" in html
    assert "None" not in html


def test_unknown_statuses_get_a_neutral_badge(signed_in, served):
    served(
        task(
            lifecycleStatus="ON_HOLD",
            lifecycleStatusLabel=None,
            lifecycleStatusDetail=None,
            activityResult=None,
        )
    )
    html = signed_in.get(URL).content.decode()
    assert '<span class="badge tone-neutral">On hold</span>' in html


def test_upstream_strings_are_html_escaped(signed_in, served):
    served(task(commerceName="<script>alert('x')</script>", lifecycleStatusDetail='"><img>'))
    html = signed_in.get(URL).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert '"><img>' not in html


# --- Error states ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "status", "message"),
    [
        ("wrong-key", 502, "did not accept the dashboard&#39;s API key"),
        (FORBIDDEN_KEY, 502, "lacks the VIEW_ACTIVITIES permission"),
        ("", 503, "No API key is configured"),
    ],
)
def test_key_problems_show_a_clear_message(signed_in, api, settings, key, status, message):
    settings.ACTIVITIES_API_KEY = key
    response = signed_in.get(URL)
    assert response.status_code == status
    assert message in response.content.decode()


@pytest.mark.parametrize(
    ("answer", "delay", "status", "message"),
    [
        ((500, "application/json", "{}"), 0, 502, "has a problem of its own (HTTP 500)"),
        ((503, "text/html", "<h1>down</h1>"), 0, 502, "HTTP 503"),
        ((400, "application/json", '{"message":["bad <b>x</b>"]}'), 0, 400, "bad &lt;b&gt;x"),
        ((418, "application/json", "{}"), 0, 502, "refused the request (HTTP 418)"),
        ((200, "text/html", "<html>proxy login</html>"), 0, 502, "could not read"),
        ((200, "application/json", '{"data": 1}'), 0, 502, "could not read"),
        ((200, "application/json", "{}"), 2, 504, "did not answer within 0.5 seconds"),
    ],
)
def test_api_failures_show_a_sentence_and_a_fitting_status(
    signed_in, canned, settings, answer, delay, status, message
):
    settings.DEBUG = True  # even then: no traceback
    settings.ACTIVITIES_API_TIMEOUT = 0.5
    canned.answer, canned.delay = answer, delay
    response = signed_in.get(URL, {"status": "PENDING"})

    html = response.content.decode()
    assert response.status_code == status
    assert message in html
    assert "Traceback" not in html
    assert "Try again" in html
    assert 'name="status"' in html  # the filter bar stays usable


def test_an_unreachable_api_is_a_503(signed_in, settings):
    settings.ACTIVITIES_API_BASE_URL = "http://127.0.0.1:9"
    response = signed_in.get(URL)
    assert response.status_code == 503
    assert "could not reach the task service" in response.content.decode()


def test_the_key_appears_in_no_response(signed_in, api, settings, canned):
    settings.ACTIVITIES_API_BASE_URL = api.url
    pages = [
        signed_in.get(URL),
        signed_in.get(URL, {"page": "0"}),
        signed_in.get(URL, {"per_page": "50", "channel": "SALESMAN"}),
        signed_in.get(reverse("login")),
    ]
    settings.ACTIVITIES_API_BASE_URL = f"http://127.0.0.1:{canned.server_port}"
    canned.answer = (401, "application/json", f'{{"message":"key {DEMO_KEY} is invalid"}}')
    pages.append(signed_in.get(URL))
    for response in pages:
        assert DEMO_KEY not in response.content.decode()


def test_export_links_keep_the_filters_but_not_the_page(signed_in, api):
    html = signed_in.get(URL, {"channel": "SALESMAN", "page": "2", "per_page": "50"})
    html = html.content.decode()
    assert 'href="/tasks/export.csv?channel=SALESMAN" download>CSV</a>' in html
    assert 'href="/tasks/export.jsonl?channel=SALESMAN" download>JSON Lines</a>' in html
    assert "Exports stop at the first" not in html


def test_a_view_larger_than_the_export_cap_says_so(signed_in, api, settings):
    settings.ACTIVITIES_EXPORT_MAX_ROWS = 100
    html = signed_in.get(URL).content.decode()
    assert "Exports stop at the first 100 tasks; narrow the filters" in html


def test_filter_links_match_querystring_for_every_position():
    from django.test import RequestFactory

    from activities.formatting import FilterLinks, querystring

    request = RequestFactory().get("/tasks/?status=PENDING&channel=&range=today&page=3&per_page=50")
    links = FilterLinks(request)
    for name, value in [
        ("status", "COMPLETED"),
        ("range", "this_week"),
        ("per_page", "10"),
        ("external_commerce_id", "COM-001"),
        ("channel", "SALESMAN"),
        ("external_commerce_id", "COM 2&3"),
    ]:
        assert links(name, value) == querystring(request, **{name: value, "page": None})
    # The page links keep every parameter and the page's place in the query string.
    pages = FilterLinks(request, drop=None)
    for number in (1, 2, 17):
        assert pages("page", number) == querystring(request, page=number)


def test_a_missing_page_has_the_dashboards_look_in_debug_runs_too(signed_in, settings):
    settings.DEBUG = True  # the demo
    response = signed_in.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "There is no such page" in html and 'class="site-header"' in html
    assert "URLconf" not in html  # not Django's debug page with every URL pattern
    assert 'rel="icon"' in html
