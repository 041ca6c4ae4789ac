"""Django's database sessions, read with one plain SQL statement instead of the ORM.

Signed-in pages read the session on every request, and building, compiling and
running the ORM's query took about seven times as long as the statement itself
(bench/README.md, issue 14, "Third pass"). The table, the stored form and
everything else (saving, expiry, cycling keys) are Django's: `SESSION_ENGINE =
"dashboard.sessions"` reads the same sessions as `django.contrib.sessions.backends.db`.
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

from django.contrib.sessions.backends import db
from django.core.signals import setting_changed
from django.db import connections, router
from django.dispatch import receiver
from django.utils import timezone

# Decoded session data by its signed text, at most this many (about 0.3 KB each).
DECODED_MAX = 2048
_decoded: dict[str, dict] = {}
_decoded_lock = threading.Lock()


class SessionStore(db.SessionStore):
    def load(self) -> dict:
        """As Django's: the unexpired session's data, else {}, read on every request."""
        data = self._session_data()
        return {} if data is None else self.decode(data)

    def decode(self, session_data: str) -> dict:
        """Django's decoding, done once per process for each signed text.

        The result depends only on the text (and the secret key, whose change forgets
        them all): checking the signature and parsing again on every request cost about
        a quarter of loading the session (bench/README.md, "Fifth pass"). Each caller
        gets its own copy; text that does not decode is decoded (and logged) each time.
        """
        decoded = _decoded.get(session_data)
        if decoded is None:
            decoded = super().decode(session_data)
            if not decoded:
                return decoded
            with _decoded_lock:
                if len(_decoded) >= DECODED_MAX:
                    _decoded.pop(next(iter(_decoded)))
                _decoded[session_data] = decoded
        return _copied(decoded)

    def _get_session_from_db(self):
        """The unexpired session row (only its key and data filled in), else None."""
        data = self._session_data()
        return None if data is None else self.model(session_key=self.session_key, session_data=data)

    def _session_data(self) -> str | None:
        """The unexpired session's signed data, else None.

        As Django's: a key that finds nothing is forgotten, so saving makes a new one.
        """
        model = self.model
        alias = router.db_for_read(model)
        connection = connections[alias]
        sql = _statement(model, alias)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        row = fetch_one(alias, sql, [self.session_key, now])
        if row is None:
            self._session_key = None
            return None
        return row[0]


_IMMUTABLE = (str, int, float, bool, type(None))


def _copied(value: Any) -> Any:
    """A copy of decoded session data, sharing nothing mutable with `value`.

    JSON gives dicts, lists and immutable scalars: copied as such, about a sixth of
    `copy.deepcopy`'s time (which keeps a memo for shared and cyclic objects JSON
    cannot make). Anything else (another serializer's types) goes through deepcopy.
    """
    kind = type(value)
    if kind is dict:
        return {key: _copied(item) for key, item in value.items()}
    if kind is list:
        return [_copied(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


@receiver(setting_changed)
def _forget_decoded(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith(("SECRET_KEY", "SESSION_")):
        with _decoded_lock:
            _decoded.clear()


@functools.lru_cache(maxsize=8)
def _statement(model, alias: str) -> str:
    """The SELECT of an unexpired session's data by its key."""
    table, data, key, expires = _names(model, connections[alias].ops.quote_name)
    # Quoted names of the model, no input: the key and the time are parameters.
    return f"SELECT {data} FROM {table} WHERE {key} = %s AND {expires} > %s"  # noqa: S608  # nosec B608


def fetch_one(alias: str, sql: str, params: list) -> tuple | None:
    """The first row of `sql` (with %s placeholders) on database `alias`, or None.

    On SQLite, through the driver's own cursor: Django's cursor wrapper cost several
    times the statement itself (bench/README.md, issue 14, "Fourth pass"). The
    connection is opened, health-checked and guarded as Django's cursor does, and its
    errors are Django's; Django's cursor still runs it when queries are being recorded
    (DEBUG, tests counting them) or wrapped (`execute_wrapper`), and on other databases.
    """
    connection = connections[alias]
    if connection.vendor != "sqlite" or connection.queries_logged or connection.execute_wrappers:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        connection.validate_thread_sharing()
        return connection.connection.execute(_qmark(sql), params).fetchone()


@functools.lru_cache(maxsize=16)
def _qmark(sql: str) -> str:
    # sqlite3's placeholders; the statements here hold no literal % or ?.
    return sql.replace("%s", "?")


def _names(model, quote) -> tuple[str, str, str, str]:
    """The quoted table and columns (session data, key, expiry) of the session model."""
    column = model._meta.get_field
    return (
        quote(model._meta.db_table),
        quote(column("session_data").column),
        quote(column("session_key").column),
        quote(column("expire_date").column),
    )
