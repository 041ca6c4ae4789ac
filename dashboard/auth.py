"""Django's ModelBackend, loading the signed-in user with a raw query instead of `get`.

Every signed-in page loads its user; the ORM's `get(pk=…)` spent most of its time
building and compiling the query (bench/README.md, issue 14, "Third pass"). A raw
query still converts each column as the ORM does (dates become aware datetimes).
Passwords, permissions and everything else are Django's own.
"""

from __future__ import annotations

from django.contrib.auth import backends, get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connections, router


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
        connection = connections[router.db_for_read(model)]
        table, pk = (
            connection.ops.quote_name(n) for n in (model._meta.db_table, model._meta.pk.column)
        )
        # Quoted names of the model, no input: the id is a parameter.
        sql = f"SELECT * FROM {table} WHERE {pk} = %s"  # noqa: S608  # nosec B608
        found = list(model._default_manager.db_manager(connection.alias).raw(sql, [user_id]))
        if not found:
            return None
        return found[0] if self.user_can_authenticate(found[0]) else None
