"""Exports must not starve the pages: a few at a time per process, one per user, own breaker."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client

CSV_URL = "/tasks/export.csv"
JSONL_URL = "/tasks/export.jsonl"
XLSX_URL = "/tasks/export.xlsx"
BUSY = "Other supervisors' exports are running right now. Try again in a minute."
MINE = "You already have an export running. Wait until its download finishes, then try again."


@pytest.fixture
def supervisors(django_user_model, user):
    """Three signed-in supervisors, each with their own browser."""
    group = Group.objects.get(name="Supervisors")
    clients = []
    for name in ("sofia2", "tomas", "ursula"):
        person = django_user_model.objects.create_user(username=name)
        person.groups.add(group)
        browser = Client()
        browser.force_login(person)
        clients.append(browser)
    return clients


def start(browser: Client, url: str = CSV_URL):
    """Start an export and read its first chunk: it is now running, its next pages loading."""
    response = browser.get(url)
    assert response.status_code == 200
    chunks = iter(response.streaming_content)
    assert next(chunks)
    return response, chunks


def test_a_third_export_at_once_is_refused_until_one_finishes(supervisors, api, settings):
    settings.ACTIVITIES_EXPORT_SLOTS = 2
    settings.ACTIVITIES_EXPORT_HOST_SLOTS = 0  # this process's limit (the host's has its tests)
    settings.ACTIVITIES_EXPORT_CONCURRENCY = 1
    api.latency = 0.05  # a slow API: the first two exports are still fetching pages
    first, first_rest = start(supervisors[0])
    # Kept: a download dropped by the test would be closed, and its slot freed, by the GC.
    second = start(supervisors[1])

    refused = supervisors[2].get(CSV_URL)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert refused["Content-Type"] == "text/plain; charset=utf-8"
    assert refused.content.decode() == f"Too many exports at once.\n{BUSY}\n"
    b"".join(first_rest)  # the first export finishes
    assert supervisors[2].get(JSONL_URL).status_code == 200
    assert second[0].status_code == 200


def test_one_user_runs_one_export_at_a_time(signed_in, api, settings):
    settings.ACTIVITIES_EXPORT_CONCURRENCY = 1
    api.latency = 0.05
    running, rest = start(signed_in)

    for url in (CSV_URL, JSONL_URL, XLSX_URL):
        refused = signed_in.get(url)
        assert refused.status_code == 429
        assert refused["Retry-After"] == "30"
        assert MINE in refused.content.decode()
    b"".join(rest)
    assert running.status_code == 200
    assert signed_in.get(JSONL_URL).status_code == 200


def test_a_download_closed_before_its_first_byte_frees_its_slot(
    signed_in, supervisors, api, settings
):
    settings.ACTIVITIES_EXPORT_SLOTS = 1
    response = signed_in.get(CSV_URL)
    assert supervisors[0].get(CSV_URL).status_code == 429

    close_as_the_server_would(response)

    assert supervisors[0].get(CSV_URL).status_code == 200


def close_as_the_server_would(response) -> None:
    """`response.close()`, what the WSGI server does when the browser goes away.

    Closing fires `request_finished`, whose `close_old_connections` would close the
    test's database connection (inside its transaction, on PostgreSQL): the test client
    holds it back the same way while it serves a request.
    """
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def test_a_failed_first_page_or_a_head_request_frees_the_slot(signed_in, api, settings):
    settings.ACTIVITIES_EXPORT_SLOTS = 1
    api.set_fault("500", times=1)

    assert signed_in.get(CSV_URL).status_code == 502
    assert signed_in.head(CSV_URL).status_code == 200
    assert signed_in.get(JSONL_URL).status_code == 200


def test_exports_that_keep_failing_do_not_make_the_list_answer_503(signed_in, api, settings):
    settings.ACTIVITIES_BREAKER_THRESHOLD = 2
    api.set_fault("500")
    try:
        statuses = [signed_in.get(CSV_URL).status_code for _ in range(4)]
    finally:
        api.clear_fault()

    assert statuses[:2] == [502, 502]
    assert statuses[2:] == [503, 503]  # the exports' own circuit is open...
    assert signed_in.get("/tasks/").status_code == 200  # ...not the one the pages use


def test_an_export_failing_halfway_does_not_open_the_pages_circuit(signed_in, api, settings):
    settings.ACTIVITIES_BREAKER_THRESHOLD = 1
    response = signed_in.get(CSV_URL)
    api.set_fault("500")  # pages 2… fail, fetched in the export's worker threads
    try:
        text = b"".join(response.streaming_content).decode("utf-8-sig")
    finally:
        api.clear_fault()

    assert "# EXPORT INCOMPLETE:" in text
    assert signed_in.get("/tasks/").status_code == 200
