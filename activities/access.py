"""Who may open dashboard pages: signed in, and allowed to see tasks."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required, permission_required

PERMISSION = "activities.view_tasks"
GROUP = "Supervisors"


def supervisor_required(view: Callable) -> Callable:
    """Sign-in first (redirect to it), then the permission (403, before any API call)."""
    return login_required(permission_required(PERMISSION, raise_exception=True)(view))
