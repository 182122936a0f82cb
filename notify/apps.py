from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "notify"

    def ready(self):
        from notify import defaults, signals  # noqa: F401  (connect their receivers)
