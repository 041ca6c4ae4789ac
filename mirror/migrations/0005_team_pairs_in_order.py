"""An index in (operator, route) order: with statistics, the team tables group without sorting."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mirror", "0004_team_pairs"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="taskrecord",
            index=models.Index(
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
        ),
    ]
