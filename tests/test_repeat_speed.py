"""What a repeated view no longer redoes (issue 14, fourth pass): the filter form's
validation, four of its five cache reads and log lines, and Django's 32 random draws
for the CSRF token. Each saving keeps the page a supervisor sees, and these tests say
how: the remembered form is the validated one, today's preset follows the date, the
token is a working one each time, a count's change still shows.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.middleware import csrf
from django.template import engines
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from activities import tokens
from activities.forms import TaskFilterForm, bound_form

from .helpers import CSRF_TOKEN, html

URL = "/tasks/"

QUERIES = [
    "",
    "status=PENDING&per_page=50&page=3",
    "channel=SALESMAN&external_operator_id=OP-7",
    "scheduled_from=2026-11-01&scheduled_to=2026-11-30",
    "range=this_week",
    "range=today&status=COMPLETED",
    "range=overdue",
    "per_page=7",
    "status=NOPE",
    "scheduled_from=2026-11-30&scheduled_to=2026-11-01",
    "range=today&scheduled_from=2026-11-01",
    "channel=A&channel=B",
]


@pytest.mark.parametrize("query", QUERIES)
def test_a_remembered_form_is_the_form_validated_anew(db, query):
    fresh = TaskFilterForm(QueryDict(query))
    for _ in range(2):  # the second is remembered
        form = bound_form(QueryDict(query))
        assert form.is_valid() == fresh.is_valid()
        assert form.errors == fresh.errors
        if fresh.is_valid():
            assert form.cleaned_data == fresh.cleaned_data
            assert form.query() == fresh.query() or "range=overdue" in query
            assert form.active_filters() == fresh.active_filters()


def test_todays_preset_moves_to_the_next_day_at_midnight(db, monkeypatch):
    instant = [datetime(2026, 12, 2, 2, 59, tzinfo=UTC)]  # 23:59 on the 1st in Santiago
    monkeypatch.setattr(timezone, "now", lambda: instant[0])
    with timezone.override("America/Santiago"):
        before = bound_form(QueryDict("range=today"))
        assert before.resolved_range.first_day.isoformat() == "2026-12-01"
        instant[0] = datetime(2026, 12, 2, 3, 1, tzinfo=UTC)  # 00:01 on the 2nd
        after = bound_form(QueryDict("range=today"))
        assert after.resolved_range.first_day.isoformat() == "2026-12-02"
        assert after.query().scheduled_from > before.query().scheduled_to


def test_the_same_preset_in_another_zone_is_that_zones_day(db, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    with timezone.override("America/Santiago"):
        assert bound_form(QueryDict("range=today")).resolved_range.first_day.day == 1
    with timezone.override("Europe/Madrid"):
        assert bound_form(QueryDict("range=today")).resolved_range.first_day.day == 2


def test_an_invalid_form_says_why_in_each_requests_language(db):
    with translation.override("en"):
        english = bound_form(QueryDict("scheduled_from=1999-01-01")).errors
    with translation.override("es"):
        spanish = bound_form(QueryDict("scheduled_from=1999-01-01")).errors
    assert english["scheduled_from"] == ["Enter a date between 2000 and 2099."]
    assert spanish["scheduled_from"] == ["Ingrese una fecha entre 2000 y 2099."]


def test_a_bad_filter_is_still_a_400_the_second_time(signed_in, api):
    for _ in range(2):
        assert signed_in.get(URL, {"status": "NOPE"}).status_code == 400


def test_a_cached_page_reads_its_list_and_counts_in_one_cache_call(signed_in, api, monkeypatch):
    html(signed_in.get(URL))
    calls = Counter()
    inside = []  # the in-memory cache's get_many calls get for each key
    real_get, real_get_many = cache.get, cache.get_many

    def get(key, *args, **kwargs):
        if not inside:
            calls["get", key.startswith("activities:tasks:")] += 1
        return real_get(key, *args, **kwargs)

    def get_many(keys, *args, **kwargs):
        calls["get_many", all(k.startswith("activities:tasks:") for k in keys), len(keys)] += 1
        inside.append(1)
        try:
            return real_get_many(keys, *args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(cache, "get", get)
    monkeypatch.setattr(cache, "get_many", get_many)
    page = html(signed_in.get(URL))
    assert 'class="tab-count"' in page
    task_reads = {call: n for call, n in calls.items() if call[1]}
    assert task_reads == {("get_many", True, 5): 1}


def test_a_cached_page_logs_one_cache_line(signed_in, api, caplog):
    html(signed_in.get(URL))
    with caplog.at_level(logging.INFO, logger="activities"):
        html(signed_in.get(URL))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("cache ")]
    assert len(lines) == 1
    assert "cache=hit" in lines[0] and "per_page=1&" not in lines[0]


def test_a_token_is_the_cookies_secret_newly_masked_and_renews_the_cookie():
    request = RequestFactory().get(URL)
    secret = csrf._get_new_csrf_string()
    request.META["CSRF_COOKIE"] = secret
    masked = {tokens.get_token(request) for _ in range(50)}
    assert len(masked) == 50
    for token in masked:
        assert len(token) == csrf.CSRF_TOKEN_LENGTH
        assert set(token) <= set(csrf.CSRF_ALLOWED_CHARS)
        assert csrf._unmask_cipher_token(token) == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_without_a_secret_yet_djangos_own_makes_one():
    request = RequestFactory().get(URL)
    token = tokens.get_token(request)
    assert csrf._unmask_cipher_token(token) == request.META["CSRF_COOKIE"]


def test_every_character_of_a_mask_is_equally_likely():
    # 124,000 characters: about 2,000 each (standard deviation 44; these bounds are five
    # of them, so a fair draw fails about once in 20,000 runs). Dropping no byte
    # (byte % 62) would give the first eight characters about 2,420 each, far outside.
    counts = Counter("".join(tokens._random_chars(32) for _ in range(3875)))
    assert set(counts) == set(csrf.CSRF_ALLOWED_CHARS)
    assert min(counts.values()) > 1780 and max(counts.values()) < 2220


def test_a_drawn_and_a_kept_pages_tokens_both_work(user, api):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    # Drawn (from the API), drawn (from the cache, then kept), and kept.
    for _ in range(3):
        token = CSRF_TOKEN.search(html(browser.get(URL))).group(1)
        response = browser.post(
            "/i18n/setlang/", {"language": "en", "next": URL, "csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302
    bad = token[:-1] + ("a" if token[-1] != "a" else "b")
    response = browser.post(
        "/i18n/setlang/", {"language": "en", "next": URL, "csrfmiddlewaretoken": bad}
    )
    assert response.status_code == 403


def test_a_remembered_translation_follows_the_language():
    template = engines["jinja2"].env.from_string('{{ _("Status") }}|{{ _("100%% sure") }}')
    for language, expected in [("en", "Status"), ("es", "Estado"), ("en", "Status")] * 2:
        with translation.override(language):
            assert template.render() == f"{expected}|100% sure"


def test_a_translation_with_values_escapes_each_value():
    template = engines["jinja2"].env.from_string('{{ _("Operator %(name)s", name=who) }}')
    with translation.override("es"):
        assert template.render(who="<b>Ana</b>") == "Operador &lt;b&gt;Ana&lt;/b&gt;"
        assert template.render(who="Luis") == "Operador Luis"
