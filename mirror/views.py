"""The staff-only page that shows the syncer's last runs and each slice's freshness."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from . import status
from .freshness import window


@require_safe
@login_required
def sync_status(request: HttpRequest) -> HttpResponse:
    """/team/sync/: the last runs, today's freshness and every slice of the window."""
    if not request.user.is_staff:
        raise PermissionDenied
    now = timezone.now()
    ctx = {
        "runs": status.recent_runs(20),
        "slices": status.slices(now),
        "today": status.today(now),
        "window": window(now),
        "now": now,
    }
    return render(request, "mirror/sync.html", ctx)
