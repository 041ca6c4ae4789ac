"""The local copy: one row per task the API listed, plus what the syncer knows of itself.

Text columns the document calls nullable are NULL when the API said nothing, so that
"no operator" or "no route" groups as one row with a null key.
"""

from __future__ import annotations

from django.db import models


class TaskRecord(models.Model):
    """A task as the API listed it when last seen: the columns the team pages filter,
    group and sort by, and the whole task as JSON for its details."""

    id = models.CharField(primary_key=True, max_length=128)
    status = models.CharField(max_length=32, null=True)
    channel = models.CharField(max_length=32, null=True)
    origin = models.CharField(max_length=32, null=True)
    type = models.CharField(max_length=64, null=True)
    scheduled_at = models.DateTimeField(null=True)
    # `scheduled_at` as a count of quarter-hours since the Unix epoch (mirror.records.slot):
    # the team chart groups by this integer in SQL and folds the few thousand groups into
    # local hours or days in Python, instead of the database converting every row's time
    # zone (a Python function per row on SQLite). A quarter-hour keeps :30/:45 offsets right.
    scheduled_slot = models.IntegerField(null=True)
    occurred_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField(null=True)
    lifecycle_status = models.CharField(max_length=64, null=True)
    lifecycle_label = models.CharField(max_length=200, null=True)
    commerce_external_id = models.CharField(max_length=128, null=True)
    commerce_name = models.CharField(max_length=300, null=True)
    reason_code = models.CharField(max_length=128, null=True)
    reason_label = models.CharField(max_length=300, null=True)
    # The operator is assignedOperator.externalId, else assignedOperatorExternalId;
    # the route is assignedRoute.code, else assignedRouteCode (activities.presenter).
    operator_external_id = models.CharField(max_length=128, null=True)
    operator_name = models.CharField(max_length=300, null=True)
    operator_type = models.CharField(max_length=64, null=True)
    route_code = models.CharField(max_length=128, null=True)
    route_name = models.CharField(max_length=300, null=True)
    result_status = models.CharField(max_length=32, null=True)
    result_occurred_at = models.DateTimeField(null=True)
    result_created_at = models.DateTimeField(null=True)
    result_source = models.CharField(max_length=64, null=True)
    data = models.JSONField()
    # A hash of `data`: a sync compares it alone to find the rows that changed, instead of
    # reading back and decoding every row's JSON (mirror.records.digest).
    digest = models.CharField(max_length=64, default="")
    last_seen_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["scheduled_at"], name="mirror_task_scheduled"),
            # The next three cover the team pages' queries: the range on `scheduled_at`
            # and every column they count, group by or name a group with, so that they
            # read an index alone and not the rows (whose `data` is the task's whole JSON).
            # The totals, the chart, and the (operator, route) groups both tables are
            # folded from (team.stats.pairs), with the names they show: a range of this
            # index alone, whatever statistics the database has.
            models.Index(
                fields=[
                    "scheduled_at",
                    "status",
                    "result_status",
                    "scheduled_slot",
                    "operator_external_id",
                    "route_code",
                    "operator_name",
                    "operator_type",
                    "route_name",
                ],
                name="mirror_task_team",
            ),
            # The operators' table and their routes (and an operator's page):
            models.Index(
                fields=[
                    "operator_external_id",
                    "scheduled_at",
                    "status",
                    "result_status",
                    "route_code",
                    "operator_name",
                    "operator_type",
                ],
                name="mirror_task_operator",
            ),
            # The (operator, route) groups in their own order, for a database with
            # statistics (the syncer keeps them: mirror.sync.refresh_statistics): SQLite
            # skip-scans it, one range of `scheduled_at` per pair, and groups without
            # sorting the period's rows by two text keys (a month: ~45 ms, not ~130 ms).
            models.Index(
                fields=[
                    "operator_external_id",
                    "route_code",
                    "scheduled_at",
                    "status",
                    "result_status",
                    "operator_name",
                    "operator_type",
                    "route_name",
                ],
                name="mirror_task_pairs",
            ),
            # The routes' table (and a route's page):
            models.Index(
                fields=["route_code", "scheduled_at", "status", "result_status", "route_name"],
                name="mirror_task_route",
            ),
            models.Index(fields=["channel", "scheduled_at"], name="mirror_task_channel"),
            models.Index(
                fields=["commerce_external_id", "scheduled_at"], name="mirror_task_commerce"
            ),
        ]

    def __str__(self) -> str:
        return self.id


class SyncSlice(models.Model):
    """A span of scheduled time the syncer reads as a whole: [start, end)."""

    start = models.DateTimeField()
    end = models.DateTimeField()
    last_applied_at = models.DateTimeField(null=True)  # when it was last read whole
    last_attempt_at = models.DateTimeField(null=True)
    last_error = models.TextField(blank=True, default="")
    task_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["start", "end"], name="mirror_slice_span"),
        ]
        indexes = [models.Index(fields=["start", "end"], name="mirror_slice_start")]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M}–{self.end:%Y-%m-%d %H:%M}"


class SyncRun(models.Model):
    """One pass of the syncer over its window (or a backfill range)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    kind = models.CharField(max_length=16)  # hot, cold, once, backfill
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    slices_applied = models.PositiveIntegerField(default=0)
    slices_failed = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    tasks_upserted = models.PositiveIntegerField(default=0)
    tasks_deleted = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)  # [{"slice": "...", "error": "..."}]

    class Meta:
        indexes = [models.Index(fields=["-started_at"], name="mirror_run_started")]

    def __str__(self) -> str:
        return f"{self.kind} run at {self.started_at:%Y-%m-%d %H:%M:%S}"


class SyncLease(models.Model):
    """Who may sync now: taken and renewed with a conditional update, expires on its own."""

    name = models.CharField(primary_key=True, max_length=32)
    holder = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder}"
