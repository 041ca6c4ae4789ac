"""Django's ModelBackend, loading the signed-in user with one SQL statement, not `get`.

Every signed-in page loads its user; the ORM's `get(pk=…)` spent most of its time
building and compiling the query (bench/README.md, issue 14, "Third pass"). The
statement is built once, and each column is converted by the ORM's own converters
(SQLite's text dates become aware datetimes, its integers booleans).
Passwords, permissions and everything else are Django's own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

from django.contrib.auth import backends, get_user_model
from django.core.exceptions import PermissionDenied
from django.core.signals import setting_changed
from django.db import connections, router
from django.dispatch import receiver

from .sessions import fetch_one


class ModelBackend(backends.ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        """Django's check; a wrong password ends the sign-in here.

        Django's own ModelBackend stays listed after this one only so that sessions
        signed in before it was added still load their user: without the stop it
        would check the same password a second time.
        """
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            raise PermissionDenied
        return user

    def get_user(self, user_id):
        """The active user with this primary key, else None (as Django's)."""
        model = get_user_model()
        alias = router.db_for_read(model)
        sql, fields = _statement(model, alias)
        row = fetch_one(alias, sql, [user_id])
        if row is None:
            return None
        user = model.from_db(alias, None, _converted(model, alias, fields, row))
        return user if self.user_can_authenticate(user) else None


@functools.lru_cache(maxsize=8)
def _statement(model, alias: str) -> tuple[str, list[Callable]]:
    """The user's SELECT by primary key, and per column a function converting its value
    as the ORM would (e.g. SQLite's text dates to aware datetimes)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    columns = ", ".join(quote(f.column) for f in fields)
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    # Quoted names of the model, no input: the id is a parameter.
    sql = f"SELECT {columns} FROM {table} WHERE {pk} = %s"  # noqa: S608  # nosec B608
    return sql, [_converter(f, connection) for f in fields]


# Converted values by the row read (every column, password and is_active included), at
# most CONVERTED_MAX: parsing the two dates again on every request was a sixth of
# loading the user. A changed row is a new key; each caller gets its own list. Writes
# hold the lock, as dashboard/sessions.py's: a gthread worker's threads share the dict,
# and finding the oldest entry while another thread adds one would raise.
CONVERTED_MAX = 256
_converted_rows: dict[tuple, list] = {}
_converted_lock = threading.Lock()


def _converted(model, alias: str, fields: list[Callable], row: tuple) -> list:
    """`row`'s values converted as the ORM would (`_statement`'s converters)."""
    key = (model, alias, row)
    values = _converted_rows.get(key)
    if values is None:
        values = [convert(value) for convert, value in zip(fields, row, strict=True)]
        with _converted_lock:
            if len(_converted_rows) >= CONVERTED_MAX:
                _converted_rows.pop(next(iter(_converted_rows)))
            _converted_rows[key] = values
    return list(values)


@receiver(setting_changed)
def _forget_converted(**kwargs) -> None:
    # Converters follow settings (USE_TZ, the database): tests change them.
    _converted_rows.clear()


def _converter(field, connection) -> Callable:
    expression = field.get_col(field.model._meta.db_table)
    steps = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)

    def convert(value):
        for step in steps:
            value = step(value, expression, connection)
        return value

    return convert
