"""The team index also covers the (operator, route) groups the team tables are folded from."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mirror", "0003_team_slot"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="taskrecord",
            name="mirror_task_team",
        ),
        migrations.AddIndex(
            model_name="taskrecord",
            index=models.Index(
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
        ),
    ]
