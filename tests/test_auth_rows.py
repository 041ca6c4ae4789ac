"""dashboard.auth converts each user row read once per process, and never serves an old one."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from dashboard import auth
from dashboard.auth import ModelBackend

URL = "/tasks/"


def test_a_password_changed_elsewhere_signs_the_old_session_out(signed_in, user, api):
    assert signed_in.get(URL).status_code == 200
    assert signed_in.get(URL).status_code == 200  # the row's values now remembered
    # As another worker would: the row changes in the database, not in this process.
    model = get_user_model()
    changed = model.objects.get(pk=user.pk)
    changed.set_password("another-long-passphrase-42")
    model.objects.filter(pk=user.pk).update(password=changed.password)

    answer = signed_in.get(URL)
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_a_user_deactivated_elsewhere_is_refused_at_once(user):
    assert ModelBackend().get_user(user.pk) == user
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert ModelBackend().get_user(user.pk) is None


def test_each_load_gets_its_own_user_and_values(user):
    first = ModelBackend().get_user(user.pk)
    first.first_name = "changed in memory only"
    again = ModelBackend().get_user(user.pk)
    assert again.first_name == "" and again is not first


def test_at_most_converted_max_rows_are_kept(django_user_model, monkeypatch):
    monkeypatch.setattr(auth, "CONVERTED_MAX", 2)
    auth._converted_rows.clear()
    users = [django_user_model.objects.create_user(username=f"u{n}") for n in range(4)]
    assert [ModelBackend().get_user(u.pk).username for u in users] == ["u0", "u1", "u2", "u3"]
    assert len(auth._converted_rows) == 2
