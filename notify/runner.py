"""The embedded shape's notify: a thread of the web process, woken when digest commits transitions, and every
few seconds for retries, summaries, held notices and frequency rules (production: Celery, notify/tasks.py)."""

from django.conf import settings

from issues.runner import BackgroundThread
from notify.rounds import notify_round
from projects.options import option

notify_thread = BackgroundThread("tracehound-notify", notify_round, sweep_seconds=2.0)


def in_process_notify_enabled() -> bool:
    return settings.CELERY_TASK_ALWAYS_EAGER and option("NOTIFY_IN_PROCESS")
