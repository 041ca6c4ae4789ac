"""The local copy for the team pages' tests: rows as a sync writes them, in one place.

`store(*records)` takes tasks in the API's JSON shape (tests.records) and builds the
copy as production does: the syncer reads them from a sandbox over real HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.test import override_settings
from django.utils import timezone

from mirror import freshness, sync
from mirror.models import SyncSlice
from sandbox import DEMO_KEY, make_server

SANTIAGO = ZoneInfo("America/Santiago")


def local_day(offset: int):
    """The local Santiago day `offset` days from today."""
    return timezone.localdate(timezone.now(), SANTIAGO) + timedelta(days=offset)


def at(offset: int, hour: int, minute: int = 0) -> datetime:
    """An instant on a local Santiago day `offset` days from today."""
    return datetime.combine(local_day(offset), time(hour, minute), tzinfo=SANTIAGO)


def day_params(offset: int) -> dict:
    """The team pages' filters for that one local day."""
    return {
        "scheduled_from": local_day(offset).isoformat(),
        "scheduled_to": local_day(offset).isoformat(),
    }


def store(*records: dict, applied_at: datetime | None = None) -> None:
    """Fill the copy with `records` by a real sync: a sandbox serving exactly them over
    HTTP, and one `mirror.sync` run over the whole window; every slice is then marked
    applied at `applied_at` when given (to test freshness).

    The window is read as one slice: production reads it a day at a time, but a test's
    few tasks fit in one, and the copy and its coverage come out the same for a fiftieth
    of the per-slice bookkeeping (about 0.5 s a call otherwise).
    """
    server = make_server(port=0, tasks=list(records)).start()
    try:
        with override_settings(ACTIVITIES_API_BASE_URL=server.url, ACTIVITIES_API_KEY=DEMO_KEY):
            _, totals = sync.run([sync.Span(*freshness.window())], kind="once")
    finally:
        server.stop()
    assert totals.failed == 0, [o.error for o in totals.outcomes if not o.applied]
    if applied_at is not None:
        SyncSlice.objects.update(last_applied_at=applied_at)


def make(
    task_id: str,
    scheduled: datetime | None,
    *,
    status: str = "PENDING",
    result: str | None = None,
    operator: tuple[str, str] | None = ("OP-1", "Ana Rojas"),
    route: tuple[str, str] | None = ("R-1", "Ruta Norte"),
    channel: str = "SALESMAN",
    commerce: tuple[str, str] = ("COM-1", "Farmacia Central"),
    handled: datetime | None = None,
) -> dict:
    """A task record in the API's shape with what the team pages look at."""
    from tests.records import task

    def iso(moment: datetime) -> str:
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

    details = {
        "type": "TASK",
        "assignedRouteCode": route[0] if route else None,
        "assignedOperatorExternalId": operator[0] if operator else None,
        "assignedRoute": {"code": route[0], "name": route[1]} if route else None,
        "assignedOperator": (
            {"externalId": operator[0], "name": operator[1], "type": "SALESMAN"}
            if operator
            else None
        ),
    }
    outcome = None
    if result is not None:
        outcome = {
            "id": f"r-{task_id}",
            "resultStatus": result,
            "source": "MOBILE_APP",
            "occurredAt": iso(handled) if handled else None,
            "createdAt": None,
        }
    return task(
        id=task_id,
        status=status,
        channel=channel,
        scheduledAt=iso(scheduled) if scheduled else None,
        occurredAt=iso(handled) if handled else None,
        commerceExternalId=commerce[0],
        commerceName=commerce[1],
        activityDetails=details,
        activityResult=outcome,
    )
