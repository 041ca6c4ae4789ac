"""`manage.py check_api`: is the dashboard configured for the task service, and does it answer?"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from activities import api


class Command(BaseCommand):
    help = "Show the task service settings (never the key), try one call, explain the outcome."

    def handle(self, *args, **options) -> None:
        key = settings.ACTIVITIES_API_KEY
        self.stdout.write(f"Base URL:  {api.safe_url(settings.ACTIVITIES_API_BASE_URL)}")
        self.stdout.write(f"API key:   {'set' if key else 'NOT SET'}")
        self.stdout.write(
            f"Timeouts:  {settings.ACTIVITIES_API_TIMEOUT:g} s per attempt, "
            f"{settings.ACTIVITIES_API_BUDGET:g} s per call"
        )
        client = api.ActivitiesClient(
            base_url=settings.ACTIVITIES_API_BASE_URL,
            api_key=key,
            timeout=settings.ACTIVITIES_API_TIMEOUT,
            budget=settings.ACTIVITIES_API_BUDGET,
            retries=0,  # a diagnosis wants the first answer, not a retried one
        )
        started = time.monotonic()
        try:
            page = client.list_tasks(api.TaskQuery(per_page=1))
        except api.ApiError as exc:
            elapsed = (time.monotonic() - started) * 1000
            self.stdout.write(f"Result:    FAILED after {elapsed:.0f} ms")
            # Each error says what it means for an administrator (activities/api/errors.py).
            self.stdout.write(f"Why:       {exc.explanation}")
            if exc.detail:
                self.stdout.write(f"Detail:    {exc.detail}")
            raise CommandError("The task service is not usable.") from None
        elapsed = (time.monotonic() - started) * 1000
        self.stdout.write(
            self.style.SUCCESS(
                f"Result:    OK: {page.meta.total} tasks visible; round trip {elapsed:.0f} ms"
            )
        )
        # The local copy (mirror/): its freshness and the syncer's last runs.
        from mirror.status import write_report

        write_report(self.stdout)
