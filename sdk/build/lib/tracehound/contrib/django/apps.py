from django.apps import AppConfig


class TracehoundConfig(AppConfig):
    name = "tracehound.contrib.django"
    label = "tracehound"
    verbose_name = "Tracehound error reporting"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system check)
