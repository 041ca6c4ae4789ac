"""The "Supervisors" group, which grants the permission to see tasks."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_group(apps, schema_editor):
    # Permissions are normally made after all migrations ran; make them now.
    app_config = apps.get_app_config("activities")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Supervisors")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="activities", codename="view_tasks")
    )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Supervisors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0002_task_access"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
