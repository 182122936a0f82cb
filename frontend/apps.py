from django.apps import AppConfig


class FrontendConfig(AppConfig):
    name = "frontend"

    def ready(self):
        from frontend import live_sessions  # noqa: F401  (connects its logout receiver)
