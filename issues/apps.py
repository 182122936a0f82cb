from django.apps import AppConfig


class IssuesConfig(AppConfig):
    name = "issues"

    def ready(self):
        from issues import project_grouping  # noqa: F401  (new projects start on the newest grouping version)
