"""System checks for configuration that parses but cannot work."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from config.health import CHECKS


@register()
def check_embedded_shape(app_configs, **kwargs):
    problems = []
    channel_backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if not settings.CELERY_TASK_ALWAYS_EAGER and channel_backend.endswith("InMemoryChannelLayer"):
        problems.append(
            Error(
                "Celery workers are in use but the channel layer is in-memory: live updates from workers would "
                "never reach the web process.",
                hint="Set REDIS_URL so both use Redis.",
                id="tracehound.E001",
            )
        )
    if settings.MODE == "production" and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append(
            Warning(
                "Production mode on SQLite: fine for one small machine, but only one process may write.",
                hint="Point DATABASE_URL at PostgreSQL to run workers on their own.",
                id="tracehound.W001",
            )
        )
    return problems


@register()
def check_health_checks(app_configs, **kwargs):
    unknown = [name for name in settings.TRACEHOUND["HEALTH"]["CHECKS"] if name not in CHECKS]
    if unknown:
        return [
            Error(
                f"TRACEHOUND_HEALTH_CHECKS names unknown checks: {', '.join(unknown)}",
                hint=f"Known checks: {', '.join(CHECKS)}.",
                id="tracehound.E002",
            )
        ]
    return []


@register()
def check_metrics_are_shared(app_configs, **kwargs):
    if settings.METRICS_PROCESS and not settings.PROMETHEUS_MULTIPROCESS:
        return [
            Warning(
                "Metrics are on, but prometheus_client was imported before the settings: this process counts in "
                "its own memory, and /metrics would show its counts alone.",
                hint="Import nothing that imports prometheus_client before Django's settings are loaded.",
                id="tracehound.W002",
            )
        ]
    return []
