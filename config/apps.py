from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """`config` is an app only to host the commands and checks that span every app (status)."""

    name = "config"
    verbose_name = "Tracehound configuration"

    def ready(self):
        from config import checks  # noqa: F401  (registers the system checks)
