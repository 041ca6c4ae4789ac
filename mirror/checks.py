"""A system check: in production, warn when the local copy has stopped being kept in step."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.checks import Warning, register
from django.utils import timezone

from .status import last_finished


@register("mirror")
def check_sync_running(app_configs, **kwargs) -> list[Warning]:
    """mirror.W001 when no sync run has finished in 10 sync intervals (production only)."""
    if settings.DEBUG:
        return []
    try:
        finished = last_finished()
    except Exception:  # noqa: BLE001
        # Not migrated yet (`migrate` runs the checks first), or no database at hand: an
        # advisory check never stops a command.
        return []
    limit = timedelta(seconds=10 * settings.ACTIVITIES_SYNC_INTERVAL)
    if finished is not None and timezone.now() - finished <= limit:
        return []
    since = "ever" if finished is None else f"since {finished:%Y-%m-%d %H:%M:%S} UTC"
    return [
        Warning(
            f"No sync of the local copy has finished {since}: the team pages and the "
            "/tasks/ fallback show old data.",
            hint="Run `python manage.py sync_tasks` beside gunicorn, under the same "
            "environment (README: Local copy); `manage.py check_api` shows its last runs.",
            id="mirror.W001",
        )
    ]
