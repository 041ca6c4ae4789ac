"""`manage.py check_api`: is the dashboard configured for the task service, and does it answer?"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from activities import client

# What each failure means for whoever runs this command: an administrator.
EXPLANATIONS: list[tuple[type[client.ApiError], str]] = [
    (client.ApiNotConfigured, "No API key is set. Set ACTIVITIES_API_KEY."),
    (
        client.ApiNameNotFound,
        "DNS: the host name in ACTIVITIES_API_BASE_URL does not resolve. Check the URL "
        "and this machine's DNS.",
    ),
    (
        client.ApiTlsError,
        "TLS: the secure connection failed (an expired, self-signed or wrong-host "
        "certificate, or a proxy intercepting HTTPS).",
    ),
    (
        client.ApiUnavailable,
        "Connection: nothing answered at that address (refused, reset or unreachable). "
        "Check the URL, the port and any firewall.",
    ),
    (
        client.ApiTimeout,
        "Timeout: the API accepted the connection but did not answer in time. It may "
        "be overloaded; ACTIVITIES_API_TIMEOUT sets how long to wait.",
    ),
    (
        client.ApiUnauthorized,
        "401: the API does not accept this key. Check ACTIVITIES_API_KEY.",
    ),
    (
        client.ApiForbidden,
        "403: the key is valid but lacks the VIEW_ACTIVITIES permission. Ask the API's "
        "owners to grant it.",
    ),
    (
        client.ApiBadResponse,
        "Bad response: the answer was not the documented JSON (an HTML proxy page, a "
        "truncated body, or another service at that URL).",
    ),
    (client.ApiBusy, "429: the API is rate-limiting this key. Try again later."),
    (client.ApiServerError, "5xx: the API has an internal problem. Try again later."),
    (client.ApiBadRequest, "400: the API rejected a plain first-page request."),
    (client.ApiClientError, "4xx: the API refused the request; is the base URL right?"),
]


class Command(BaseCommand):
    help = "Show the task service settings (never the key), try one call, explain the outcome."

    def handle(self, *args, **options) -> None:
        key = settings.ACTIVITIES_API_KEY
        self.stdout.write(f"Base URL:  {settings.ACTIVITIES_API_BASE_URL}")
        self.stdout.write(f"API key:   {'set' if key else 'NOT SET'}")
        self.stdout.write(
            f"Timeouts:  {settings.ACTIVITIES_API_TIMEOUT:g} s per attempt, "
            f"{settings.ACTIVITIES_API_BUDGET:g} s per call"
        )
        api = client.ActivitiesClient(
            base_url=settings.ACTIVITIES_API_BASE_URL,
            api_key=key,
            timeout=settings.ACTIVITIES_API_TIMEOUT,
            budget=settings.ACTIVITIES_API_BUDGET,
            retries=0,  # a diagnosis wants the first answer, not a retried one
        )
        started = time.monotonic()
        try:
            page = api.list_tasks(client.TaskQuery(per_page=1))
        except client.ApiError as exc:
            elapsed = (time.monotonic() - started) * 1000
            explanation = next(text for kind, text in EXPLANATIONS if isinstance(exc, kind))
            self.stdout.write(f"Result:    FAILED after {elapsed:.0f} ms")
            self.stdout.write(f"Why:       {explanation}")
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
