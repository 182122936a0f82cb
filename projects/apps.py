from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"

    def ready(self):
        from projects import signals  # noqa: F401  (drops cached key lookups on change)
