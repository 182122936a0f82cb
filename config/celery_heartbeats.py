"""Heartbeats of Celery's processes: each worker says which of digest's and notify's queues it serves and that it
runs; beat says it ticks. Connected when Django is ready (config/apps.py), so in every Celery process."""

from celery import signals
from celery.beat import PersistentScheduler

from config.heartbeats import HeartbeatWriter
from config.models import Heartbeat

# The queue each role's tasks go to (settings.CELERY_TASK_ROUTES sends notify's to "notify").
QUEUE_ROLES = {"celery": Heartbeat.Role.DIGEST, "notify": Heartbeat.Role.NOTIFY}

_worker_heartbeats: list[HeartbeatWriter] = []


@signals.worker_ready.connect
def start_worker_heartbeats(sender, **kwargs) -> None:
    """`sender` is the worker's consumer: its queues tell which roles this worker plays."""
    queues = {queue.name for queue in sender.task_consumer.queues}
    for queue, role in QUEUE_ROLES.items():
        if queue in queues:
            writer = HeartbeatWriter(role, process=sender.hostname, marks_itself=True)
            writer.start()
            _worker_heartbeats.append(writer)


beat_heartbeat = HeartbeatWriter(Heartbeat.Role.BEAT)


class HeartbeatScheduler(PersistentScheduler):
    """Beat's default scheduler, marking a heartbeat at every tick (beat ticks at least every few seconds: its
    shortest schedule is 5 s). A beat whose loop stops ticking falls silent, even while its process lives."""

    def tick(self, *args, **kwargs):
        beat_heartbeat.mark()
        return super().tick(*args, **kwargs)
