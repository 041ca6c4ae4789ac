"""Who may see tasks: supervisors only; a signed-in outsider gets a clear 403."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from .helpers import PASSWORD

PAGES = [
    "/",
    "/tasks/",
    "/tasks/?status=PENDING",
    "/tasks/export.csv",
    "/tasks/export.jsonl",
    "/views/",
]


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


@pytest.mark.parametrize("path", PAGES)
def test_a_signed_in_outsider_gets_a_403_and_no_api_call(outsider_client, api, path):
    response = outsider_client.get(path)
    html = response.content.decode()
    assert response.status_code == 403
    assert "not allowed to see the team's tasks" in html
    assert "Supervisors group" in html
    assert "tbody" not in html
    assert api.request_log == []


def test_an_outsider_cannot_save_a_view(outsider_client, api):
    response = outsider_client.post("/views/save", {"name": "x", "query": "status=PENDING"})
    assert response.status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, api, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_supervisors_group_exists_with_the_permission(db):
    group = Group.objects.get(name="Supervisors")
    assert [p.codename for p in group.permissions.all()] == ["view_tasks"]


def test_joining_the_group_opens_the_dashboard(client, outsider, api):
    client.force_login(outsider)
    assert client.get("/tasks/").status_code == 403
    outsider.groups.add(Group.objects.get(name="Supervisors"))
    assert client.get("/tasks/").status_code == 200


def test_superusers_may_see_tasks(client, django_user_model, api):
    admin = django_user_model.objects.create_superuser("root", "r@example.com", PASSWORD)
    client.force_login(admin)
    assert client.get("/tasks/").status_code == 200
