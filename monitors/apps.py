from django.apps import AppConfig


class MonitorsConfig(AppConfig):
    name = "monitors"

    def ready(self):
        from monitors import signals  # noqa: F401  (connects the check-in wake-up)
