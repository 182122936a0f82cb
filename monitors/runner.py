"""The embedded shape's monitors: threads of the web process (production: Celery, monitors/tasks.py). One applies
check-ins, woken when ingest commits them, and sweeps every few seconds; the other starts due uptime checks twice a
second on its bounded pool and records their results."""

from django.conf import settings

from issues.runner import BackgroundThread
from monitors.rounds import monitors_round
from monitors.uptime import Runner
from projects.options import option

monitors_thread = BackgroundThread("tracehound-monitors", monitors_round, sweep_seconds=5.0, min_interval_seconds=0.2)

_uptime_runner: Runner | None = None


def uptime_round() -> None:
    global _uptime_runner
    if _uptime_runner is None:
        _uptime_runner = Runner()
    _uptime_runner.tick()


uptime_thread = BackgroundThread("tracehound-uptime", uptime_round, sweep_seconds=0.5)


def in_process_monitors_enabled() -> bool:
    return settings.CELERY_TASK_ALWAYS_EAGER and option("MONITORS_IN_PROCESS")
