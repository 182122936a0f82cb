from django.db import models


class Heartbeat(models.Model):
    """The last sign of life of one of Tracehound's background processes: a digest or notify worker (a Celery
    worker process, or the embedded shape's thread) or beat. Written every few seconds by the process itself
    (config/heartbeats.py); read by the health checks and the status page. One row per role and process."""

    class Role(models.TextChoices):
        DIGEST = "digest"
        NOTIFY = "notify"
        BEAT = "beat"

    role = models.CharField(max_length=16, choices=Role.choices)
    # host:pid, or a Celery worker's node name, so that two processes on one host are two rows.
    process = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["role", "process"], name="one_heartbeat_per_role_process")]
