"""Who may open dashboard pages: signed in, and allowed to see tasks."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from . import user_cache

PERMISSION = "activities.view_tasks"
GROUP = "Supervisors"


def supervisor_required(view: Callable) -> Callable:
    """Sign-in first (redirect to it), then the permission (403, before any API call).

    The permission is Django's, checked through `user_cache` so that a page does not
    read the permission tables each time (ACTIVITIES_USER_CACHE_TTL).
    """

    @functools.wraps(view)
    def allowed_only(request, *args, **kwargs):
        if not user_cache.can_view_tasks(request.user, PERMISSION):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(allowed_only)
