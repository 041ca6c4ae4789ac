"""The mirror app: the local copy of the tasks and its syncer."""

from django.apps import AppConfig


class MirrorConfig(AppConfig):
    name = "mirror"
    verbose_name = "Local copy of the tasks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the warning for a syncer that is not running (production only).
        from . import checks  # noqa: F401
