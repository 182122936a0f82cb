"""The embedded shape's notify: a thread of the web process, woken when digest commits transitions, and every
few seconds for retries, summaries, held notices and frequency rules (production: Celery, notify/tasks.py)."""

from django.conf import settings

from issues.runner import BackgroundThread
from notify.rounds import notify_round
from projects.options import option

# At most two rounds a second: in a storm digest commits many times a second, and each round has a fixed cost
# (measured: about 8 ms of a storm's 30 rounds went to planning the sends), which gathering wake-ups saves.
notify_thread = BackgroundThread("tracehound-notify", notify_round, sweep_seconds=2.0, min_interval_seconds=0.5)


def in_process_notify_enabled() -> bool:
    return settings.CELERY_TASK_ALWAYS_EAGER and option("NOTIFY_IN_PROCESS")
