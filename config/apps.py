from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """`config` is an app to host what spans every app: the status and health commands and checks, and the
    heartbeats of the background processes."""

    name = "config"
    verbose_name = "Tracehound configuration"

    def ready(self):
        # Modules that register themselves, and need the models loaded: the system checks, Celery's heartbeats.
        from config import celery_heartbeats, checks  # noqa: F401
