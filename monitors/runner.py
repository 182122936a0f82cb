"""The embedded shape's monitors: a thread of the web process, woken when ingest commits check-ins, and every few
seconds for the sweep (production: Celery, monitors/tasks.py)."""

from django.conf import settings

from issues.runner import BackgroundThread
from monitors.rounds import monitors_round
from projects.options import option

monitors_thread = BackgroundThread("tracehound-monitors", monitors_round, sweep_seconds=5.0, min_interval_seconds=0.2)


def in_process_monitors_enabled() -> bool:
    return settings.CELERY_TASK_ALWAYS_EAGER and option("MONITORS_IN_PROCESS")
