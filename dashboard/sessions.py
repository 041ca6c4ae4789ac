"""Django's database sessions, read with one plain SQL statement instead of the ORM.

Signed-in pages read the session on every request, and building, compiling and
running the ORM's query took about seven times as long as the statement itself
(bench/README.md, issue 14, "Third pass"). The table, the stored form and
everything else (saving, expiry, cycling keys) are Django's: `SESSION_ENGINE =
"dashboard.sessions"` reads the same sessions as `django.contrib.sessions.backends.db`.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        """The unexpired session row (only its key and data filled in), else None.

        As Django's: a key that finds nothing is forgotten, so saving makes a new one.
        """
        model = self.model
        connection = connections[router.db_for_read(model)]
        table, data, key, expires = _names(model, connection.ops.quote_name)
        # Quoted names of the model, no input: the key and the time are parameters.
        where = f"WHERE {key} = %s AND {expires} > %s"
        sql = f"SELECT {data} FROM {table} {where}"  # noqa: S608  # nosec B608
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])


def _names(model, quote) -> tuple[str, str, str, str]:
    """The quoted table and columns (session data, key, expiry) of the session model."""
    column = model._meta.get_field
    return (
        quote(model._meta.db_table),
        quote(column("session_data").column),
        quote(column("session_key").column),
        quote(column("expire_date").column),
    )
