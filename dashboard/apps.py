"""The project's app config, which registers the production-safety checks."""

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Task dashboard"

    def ready(self) -> None:
        # Registers the production-safety system checks.
        from . import checks  # noqa: F401
