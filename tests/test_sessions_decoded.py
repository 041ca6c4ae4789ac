"""dashboard.sessions decodes each signed session text once per process, safely."""

from __future__ import annotations

import logging

from django.contrib.sessions.backends.db import SessionStore as DjangoStore

from dashboard import sessions
from dashboard.sessions import SessionStore


def _saved(**values) -> DjangoStore:
    store = DjangoStore()
    store.update(values)
    store.save()
    return store


def test_each_load_gets_its_own_copy_of_the_remembered_data(db):
    saved = _saved(tz_pref=["7", "Europe/Madrid"], seen=True)
    first = SessionStore(saved.session_key)
    first["tz_pref"].append("changed in place")
    first["seen"] = False

    again = SessionStore(saved.session_key)
    assert again["tz_pref"] == ["7", "Europe/Madrid"] and again["seen"] is True


def test_a_changed_session_is_read_anew(db):
    saved = _saved(step=1)
    assert SessionStore(saved.session_key)["step"] == 1
    saved["step"] = 2
    saved.save()
    assert SessionStore(saved.session_key)["step"] == 2


def test_tampered_data_reads_empty_every_time_and_is_logged_every_time(db, caplog):
    saved = _saved(_auth_user_id="1")
    data = saved.model.objects.get(session_key=saved.session_key).session_data
    forged = data.replace(data[-6:], "AAAAAA")
    saved.model.objects.filter(session_key=saved.session_key).update(session_data=forged)
    with caplog.at_level(logging.WARNING, logger="django.security.SuspiciousSession"):
        assert SessionStore(saved.session_key).load() == {}
        assert SessionStore(saved.session_key).load() == {}
    assert caplog.text.count("Session data corrupted") == 2
    assert forged not in sessions._decoded


def test_a_new_secret_key_stops_the_old_sessions_at_once(db, settings):
    saved = _saved(_auth_user_id="1")
    assert SessionStore(saved.session_key)["_auth_user_id"] == "1"
    settings.SECRET_KEY = "another-secret-key-for-this-test-0123456789"
    assert SessionStore(saved.session_key).load() == {}


def test_at_most_decoded_max_texts_are_kept(db, monkeypatch):
    monkeypatch.setattr(sessions, "DECODED_MAX", 3)
    sessions._decoded.clear()
    keys = [_saved(n=n).session_key for n in range(5)]
    assert [SessionStore(key)["n"] for key in keys] == [0, 1, 2, 3, 4]
    assert len(sessions._decoded) == 3


def test_nested_data_and_other_types_are_copied_not_shared(db):
    class Box:  # what another serializer could give back: copied by deepcopy
        def __init__(self, items):
            self.items = items

    data = {"views": [{"name": "Mine", "ids": [1, 2]}], "n": 1.5, "box": Box([1])}
    copied = sessions._copied(data)
    assert copied["views"] == data["views"] and copied["n"] == 1.5
    copied["views"][0]["ids"].append(3)
    copied["box"].items.append(2)
    assert data["views"][0]["ids"] == [1, 2] and data["box"].items == [1]
