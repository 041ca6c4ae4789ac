"""TaskRecord.scheduled_slot (quarter-hours since the epoch) and the team pages' index.

Rows already in the copy get their slot here, in Python batches: the same arithmetic as
mirror.records.slot on SQLite and PostgreSQL alike, with no per-database SQL.
"""

from django.db import migrations, models

SLOT_SECONDS = 15 * 60  # as mirror.records.SLOT_SECONDS, frozen with this migration
BATCH = 2000


def fill_slots(apps, schema_editor):
    TaskRecord = apps.get_model("mirror", "TaskRecord")
    rows = TaskRecord.objects.using(schema_editor.connection.alias)
    pending = rows.filter(scheduled_slot__isnull=True, scheduled_at__isnull=False)
    batch = []
    for record in pending.only("id", "scheduled_at").iterator(chunk_size=BATCH):
        record.scheduled_slot = int(record.scheduled_at.timestamp() // SLOT_SECONDS)
        batch.append(record)
        if len(batch) == BATCH:
            rows.bulk_update(batch, ["scheduled_slot"])
            batch = []
    rows.bulk_update(batch, ["scheduled_slot"])


class Migration(migrations.Migration):
    dependencies = [
        ("mirror", "0002_task_digest"),
    ]

    operations = [
        migrations.AddField(
            model_name="taskrecord",
            name="scheduled_slot",
            field=models.IntegerField(null=True),
        ),
        migrations.RunPython(fill_slots, migrations.RunPython.noop, elidable=True),
        # The team pages' covering indexes (mirror.models): the operator's and the
        # route's keep their names and their leading columns, and gain the rest.
        migrations.RemoveIndex(model_name="taskrecord", name="mirror_task_operator"),
        migrations.RemoveIndex(model_name="taskrecord", name="mirror_task_route"),
        migrations.AddIndex(
            model_name="taskrecord",
            index=models.Index(
                fields=["scheduled_at", "status", "result_status", "scheduled_slot"],
                name="mirror_task_team",
            ),
        ),
        migrations.AddIndex(
            model_name="taskrecord",
            index=models.Index(
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
        ),
        migrations.AddIndex(
            model_name="taskrecord",
            index=models.Index(
                fields=["route_code", "scheduled_at", "status", "result_status", "route_name"],
                name="mirror_task_route",
            ),
        ),
    ]
