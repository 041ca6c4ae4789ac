"""The filter form: API parameter names, validation, and dates as local-day instants."""

from __future__ import annotations

import html
import re
from datetime import datetime
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from django.http import QueryDict
from django.utils import timezone

from activities.forms import TaskFilterForm


def query_for(**params):
    form = TaskFilterForm(params)
    assert form.is_valid(), form.errors
    return form.query()


def errors_for(**params):
    form = TaskFilterForm(params)
    assert not form.is_valid()
    return form.errors


def test_an_empty_form_asks_for_the_first_page_of_twenty():
    assert query_for().to_params() == {"page": "1", "per_page": "20"}


def test_field_names_are_the_apis_query_parameters_and_range():
    assert set(TaskFilterForm().fields) == {
        "range",
        "status",
        "result_status",
        "channel",
        "external_commerce_id",
        "external_operator_id",
        "scheduled_from",
        "scheduled_to",
        "page",
        "per_page",
    }


def test_every_filter_is_forwarded_and_empty_ones_are_dropped():
    params = query_for(
        status="IN_PROGRESS",
        result_status="NOT_EFFECTIVE",
        channel="CALLCENTER",
        external_commerce_id="  COM-007 ",
        external_operator_id="",
        page="3",
        per_page="50",
    ).to_params()
    assert params == {
        "page": "3",
        "per_page": "50",
        "status": "IN_PROGRESS",
        "result_status": "NOT_EFFECTIVE",
        "channel": "CALLCENTER",
        "external_commerce_id": "COM-007",
    }


@pytest.mark.parametrize(
    ("tz", "day_from", "day_to", "sent_from", "sent_to"),
    [
        # Santiago in summer is UTC-3, in winter UTC-4.
        ("America/Santiago", "2026-11-29", "2026-11-29",
         "2026-11-29T03:00:00.000Z", "2026-11-30T02:59:59.999Z"),
        ("America/Santiago", "2026-06-15", "2026-06-16",
         "2026-06-15T04:00:00.000Z", "2026-06-17T03:59:59.999Z"),
        # Chile's clocks jump from 00:00 to 01:00 on 6 Sep 2026: the day starts at 04:00Z.
        ("America/Santiago", "2026-09-06", "2026-09-06",
         "2026-09-06T04:00:00.000Z", "2026-09-07T02:59:59.999Z"),
        ("Europe/Madrid", "2026-03-29", "2026-03-29",
         "2026-03-28T23:00:00.000Z", "2026-03-29T21:59:59.999Z"),
        ("UTC", "2026-01-01", "2026-01-31",
         "2026-01-01T00:00:00.000Z", "2026-01-31T23:59:59.999Z"),
    ],
)  # fmt: skip
def test_dates_become_the_first_and_last_instant_of_local_days(
    settings, tz, day_from, day_to, sent_from, sent_to
):
    settings.TIME_ZONE = tz
    with timezone.override(tz):
        params = query_for(scheduled_from=day_from, scheduled_to=day_to).to_params()
    assert params["scheduled_from"] == sent_from
    assert params["scheduled_to"] == sent_to


def test_one_sided_date_ranges_are_allowed():
    params = query_for(scheduled_to="2026-11-29").to_params()
    assert "scheduled_from" not in params and "scheduled_to" in params


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"scheduled_from": "29/11/2026"}, "scheduled_from", "valid date"),
        ({"scheduled_from": "2026-02-30"}, "scheduled_from", "valid date"),
        ({"scheduled_to": "9999-12-31"}, "scheduled_to", "between 2000 and 2099"),
        (
            {"scheduled_from": "2026-11-30", "scheduled_to": "2026-11-29"},
            "scheduled_to",
            "on or after the start date",
        ),
        ({"page": "0"}, "page", "greater than or equal to 1"),
        ({"page": "-3"}, "page", "greater than or equal to 1"),
        ({"page": "two"}, "page", "whole number"),
        ({"page": "2.5"}, "page", "whole number"),
        ({"page": "9" * 30}, "page", "less than or equal to"),
        ({"per_page": "1000"}, "per_page", "not one of the available choices"),
        ({"per_page": "15"}, "per_page", "not one of the available choices"),
        ({"status": "DONE"}, "status", "not one of the available choices"),
        ({"result_status": "effective"}, "result_status", "not one of the available choices"),
        ({"channel": "TELEGRAM"}, "channel", "not one of the available choices"),
        ({"external_commerce_id": "C" * 65}, "external_commerce_id", "at most 64"),
        ({"external_operator_id": "O" * 5000}, "external_operator_id", "at most 64"),
    ],
)
def test_invalid_input_is_an_error_on_its_own_field(params, field, message):
    errors = errors_for(**params)
    assert list(errors) == [field]
    assert message in " ".join(errors[field])


def test_extra_channels_come_from_settings(settings):
    settings.ACTIVITIES_EXTRA_CHANNELS = ["WHATSAPP"]
    assert query_for(channel="WHATSAPP").channel == "WHATSAPP"
    choices = [value for value, _ in TaskFilterForm().fields["channel"].choices]
    assert choices == ["", "SALESMAN", "CALLCENTER", "WHATSAPP"]


def test_forms_share_their_fields_but_each_speaks_its_language(settings):
    from django.utils import translation

    english = TaskFilterForm()
    with translation.override("es"):
        spanish = TaskFilterForm()
    assert dict(english.fields["status"].choices)[""] == "Any status"
    assert dict(spanish.fields["status"].choices)[""] == "Cualquier estado"
    # Built once per language: a second form reuses the fields, not a copy of them.
    assert TaskFilterForm().fields["status"] is english.fields["status"]
    assert TaskFilterForm().fields is not english.fields  # but not the form's own dict
    settings.ACTIVITIES_EXTRA_CHANNELS = ["EMAIL"]
    assert "EMAIL" in dict(TaskFilterForm().fields["channel"].choices)


# --- Relative ranges -------------------------------------------------------------


@pytest.fixture
def frozen(monkeypatch):
    """Freeze django.utils.timezone.now at a given aware instant."""

    def freeze(iso):
        instant = datetime.fromisoformat(iso)
        monkeypatch.setattr(timezone, "now", lambda: instant)
        return instant

    return freeze


def test_range_today_is_resolved_on_every_request_in_the_current_zone(frozen, settings):
    settings.TIME_ZONE = "America/Santiago"
    frozen("2026-11-30T02:00:00+00:00")  # still 29 Nov in Santiago (UTC-3)
    params = query_for(range="today").to_params()
    assert params["scheduled_from"] == "2026-11-29T03:00:00.000Z"
    assert params["scheduled_to"] == "2026-11-30T02:59:59.999Z"

    frozen("2026-12-01T15:00:00+00:00")  # the same bookmark, two days later
    params = query_for(range="today").to_params()
    assert params["scheduled_from"] == "2026-12-01T03:00:00.000Z"


def test_the_viewers_zone_decides_what_today_is(frozen):
    frozen("2026-11-30T02:00:00+00:00")
    with timezone.override("Europe/Madrid"):  # already 30 Nov there
        params = query_for(range="today").to_params()
    assert params["scheduled_from"] == "2026-11-29T23:00:00.000Z"


def test_overdue_asks_for_pending_tasks_scheduled_before_now(frozen):
    frozen("2026-11-29T17:05:00+00:00")
    params = query_for(range="overdue").to_params()
    assert params == {
        "page": "1",
        "per_page": "20",
        "status": "PENDING",
        "scheduled_to": "2026-11-29T17:05:00.000Z",
    }


def test_a_range_with_dates_is_a_conflict_on_the_range_field():
    errors = errors_for(range="today", scheduled_from="2026-11-01")
    assert errors == {"range": ["Choose a preset range or dates, not both."]}


def test_overdue_with_another_status_is_an_error():
    errors = errors_for(range="overdue", status="COMPLETED")
    assert list(errors) == ["status"]
    assert query_for(range="overdue", status="PENDING").status == "PENDING"


def test_an_unknown_range_is_a_form_error():
    assert "range" in errors_for(range="fortnight")


def test_the_range_is_described_in_words(frozen, settings):
    settings.TIME_ZONE = "America/Santiago"
    frozen("2026-11-29T17:05:00+00:00")
    form = TaskFilterForm({"range": "today"})
    assert form.is_valid()
    assert form.range_in_words() == "Today, Sun 29 Nov, 00:00–23:59"


def test_active_filters_name_each_filter_in_words():
    form = TaskFilterForm(
        {"status": "PENDING", "channel": "CALLCENTER", "range": "today", "page": "3"}
    )
    assert form.is_valid()
    assert form.active_filters() == [
        ("status", "Status", "Pending"),
        ("channel", "Channel", "CALLCENTER"),
        ("range", "When", "Today"),
    ]


# --- Inputs refused as the list refuses them (issue 10) -------------------------------------

CONTROL_CHARACTERS = [
    pytest.param("%0D", id="CR"),
    pytest.param("%0A", id="LF"),
    pytest.param("%1B", id="ESC"),
    pytest.param("%09", id="TAB"),
    pytest.param("%7F", id="DEL"),
    pytest.param("%C2%85", id="C1 NEL"),
    pytest.param("%C2%9B", id="C1 CSI"),
    pytest.param("%FF", id="invalid UTF-8"),
    pytest.param("%C3%28", id="invalid UTF-8 sequence"),
    pytest.param("%00", id="NUL"),
]


@pytest.mark.parametrize("field", ["external_commerce_id", "external_operator_id"])
@pytest.mark.parametrize("encoded", CONTROL_CHARACTERS)
def test_ids_with_control_characters_or_bad_utf8_are_refused_before_the_api(
    signed_in, api, field, encoded
):
    response = signed_in.get(f"/tasks/?{field}=COM{encoded}007")

    assert response.status_code == 400
    assert api.request_log == []
    assert "Use letters, digits and punctuation only." in response.content.decode()


def test_ids_with_letters_accents_and_punctuation_are_still_accepted():
    params = query_for(
        external_commerce_id="Café-07/B_2 #1", external_operator_id="op.ñ@x"
    ).to_params()
    assert params["external_commerce_id"] == "Café-07/B_2 #1"
    assert params["external_operator_id"] == "op.ñ@x"


@pytest.mark.parametrize(
    "query",
    [
        "channel=SALESMAN&channel=CALLCENTER",
        "status=PENDING&status=PENDING",
        "external_commerce_id=A&external_commerce_id=B",
        "range=today&range=this_week",
        "scheduled_from=2026-11-01&scheduled_from=2026-11-02",
        "page=2&page=3",
        "per_page=10&per_page=100",
    ],
)
def test_a_repeated_parameter_is_refused_with_a_400_on_its_field(signed_in, api, query):
    name = query.split("=")[0]

    response = signed_in.get(f"/tasks/?{query}")

    assert response.status_code == 400
    assert api.request_log == []
    assert "Give this filter only once." in response.content.decode()
    assert list(TaskFilterForm(QueryDict(query)).errors) == [name]


def test_a_repeated_parameter_is_refused_by_the_exports_too(signed_in, api):
    response = signed_in.get("/tasks/export.csv?channel=SALESMAN&channel=CALLCENTER")
    assert response.status_code == 400
    assert api.request_log == []


def _repeated_names(url: str) -> list[str]:
    names = [name for name, _ in parse_qsl(urlsplit(html.unescape(url)).query, True)]
    return sorted({n for n in names if names.count(n) > 1})


def test_no_link_or_form_on_the_task_list_repeats_a_parameter(signed_in, api):
    page = signed_in.get(
        "/tasks/?status=PENDING&channel=SALESMAN&external_commerce_id=C1&per_page=10&page=2"
    )
    body = page.content.decode()
    links = re.findall(r'href="([^"]*\?[^"]*)"', body)
    assert len(links) > 10
    assert {link: _repeated_names(link) for link in links if _repeated_names(link)} == {}
    for form in re.findall(r'<form[^>]*method="get".*?</form>', body, flags=re.S):
        names = re.findall(r'<(?:input|select)[^>]*name="([^"]+)"', form)
        assert len(names) == len(set(names)), names


# A saved view keeps the task list's query: what the list refuses is not stored.
INVALID_SAVED_QUERIES = [
    pytest.param('status="><script>alert(1)</script>', id="markup as a status"),
    pytest.param("range=today&scheduled_from=2026-11-01", id="a range and dates"),
    pytest.param("channel=TELEGRAM", id="an unknown channel"),
    pytest.param("external_commerce_id=A%0D%0AB", id="a line break in an id"),
    pytest.param("scheduled_from=2026-02-30", id="a day that does not exist"),
]


@pytest.mark.parametrize("query", INVALID_SAVED_QUERIES)
def test_saving_a_view_refuses_what_the_list_refuses(signed_in, user, query):
    from activities.models import SavedView

    response = signed_in.post("/views/save", {"name": "Mine", "query": unquote(query)})

    assert response.status_code == 400
    assert "These filters cannot be saved" in response.content.decode()
    assert not SavedView.objects.filter(owner=user).exists()


def test_saving_a_valid_view_still_works(signed_in, user):
    from activities.models import SavedView

    response = signed_in.post(
        "/views/save", {"name": "Today", "query": "range=today&channel=SALESMAN"}
    )

    assert response.status_code == 302
    assert SavedView.objects.get(owner=user).query == "channel=SALESMAN&range=today"


def _date_inputs(page: str) -> list[str]:
    return re.findall(r'<input type="[a-z]+" name="scheduled_(?:from|to)"[^>]*>', page)


def test_the_date_fields_take_a_typed_day_until_shown_as_pickers(signed_in, api):
    # A closed panel's fields are text fields for YYYY-MM-DD, what the server parses
    # (dashboard.js makes them pickers when shown); the value is kept for the bookmark.
    page = signed_in.get("/tasks/?scheduled_from=2026-11-02").content.decode()
    fields = _date_inputs(page)
    assert len(fields) == 2
    assert all('type="text"' in f and 'placeholder="YYYY-MM-DD"' in f for f in fields)
    assert all(r'pattern="\d{4}-\d{2}-\d{2}"' in f for f in fields)
    assert 'value="2026-11-02"' in fields[0]
    assert '<details class="filter-panel">' in page


def test_with_a_wrong_date_the_panel_opens_on_date_pickers(signed_in, api):
    response = signed_in.get("/tasks/?scheduled_from=2026-02-30&scheduled_to=2026-03-01")
    page = response.content.decode()
    fields = _date_inputs(page)
    assert response.status_code == 400 and len(fields) == 2
    assert all('type="date"' in f and "pattern" not in f and "placeholder" not in f for f in fields)
    assert 'value="2026-03-01"' in fields[1]
    assert '<details class="filter-panel" open>' in page
    assert 'id="id_scheduled_from-error"' in page


def test_the_date_fields_hint_speaks_the_page_language(signed_in, api):
    page = signed_in.get("/tasks/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert all('placeholder="AAAA-MM-DD"' in f for f in _date_inputs(page))
