"""Cron and heartbeat monitors and their check-ins.

A Monitor expects check-ins on a schedule. Its `deadline` is when the next one is overdue (the expected time plus
the check-in margin): the sweep (monitors/sweep.py) records a missed check-in for every monitor past its deadline,
and a timeout for every check-in in progress past the monitor's maximum runtime. Both move the row they act on with
a conditional update, so two sweeps running at once record each miss once.
"""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now

from monitors.schedule import CRONTAB, INTERVAL, INTERVAL_UNITS, Schedule
from projects.models import Project

MAX_MARGIN_MINUTES = 24 * 60
MAX_RUNTIME_MINUTES = 7 * 24 * 60
MAX_THRESHOLD = 100


class Monitor(models.Model):
    class ScheduleType(models.TextChoices):
        CRONTAB = CRONTAB
        INTERVAL = INTERVAL

    class State(models.TextChoices):
        NEW = "new"  # no check-in yet
        OK = "ok"
        IN_PROGRESS = "in_progress"
        MISSED = "missed"
        TIMED_OUT = "timed_out"
        FAILED = "failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="monitors")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64)
    schedule_type = models.CharField(max_length=16, choices=ScheduleType.choices, default=ScheduleType.CRONTAB)
    crontab = models.CharField(max_length=100, blank=True, default="")
    interval_value = models.PositiveIntegerField(null=True, blank=True)
    interval_unit = models.CharField(
        max_length=16, blank=True, default="", choices=[(unit, unit) for unit in INTERVAL_UNITS]
    )
    timezone = models.CharField(max_length=64, default="UTC")
    # Grace after the expected time before a check-in counts as missed.
    checkin_margin_minutes = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_MARGIN_MINUTES)]
    )
    # A check-in in progress longer than this has timed out.
    max_runtime_minutes = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(MAX_RUNTIME_MINUTES)]
    )
    # K: failures in a row that open an incident; R: successes in a row that close it.
    failure_threshold = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_THRESHOLD)]
    )
    recovery_threshold = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_THRESHOLD)]
    )
    # Empty: check-ins from any environment count; otherwise only those of this environment.
    environment = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=now)

    state = models.CharField(max_length=16, choices=State.choices, default=State.NEW)
    last_check_in_at = models.DateTimeField(null=True, blank=True)
    next_expected_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    consecutive_successes = models.PositiveIntegerField(default=0)
    # When the current run of failures began: an outage's start, for the recovery message.
    failing_since = models.DateTimeField(null=True, blank=True)
    # The open incident's latest failure event (its issue is found through it); null when no incident is open.
    incident_event_id = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "slug"], name="monitor_slug_unique_per_project")]
        indexes = [models.Index(fields=["deadline"], name="monitor_by_deadline")]

    def __str__(self):
        return self.name

    @property
    def schedule(self) -> Schedule:
        return Schedule(
            self.schedule_type,
            crontab=self.crontab,
            interval_value=self.interval_value or 0,
            interval_unit=self.interval_unit,
            timezone=self.timezone,
        )

    def set_schedule(self, schedule: Schedule) -> None:
        self.schedule_type = schedule.kind
        self.crontab = schedule.crontab if schedule.kind == CRONTAB else ""
        self.interval_value = schedule.interval_value if schedule.kind == INTERVAL else None
        self.interval_unit = schedule.interval_unit if schedule.kind == INTERVAL else ""
        self.timezone = schedule.timezone


class CheckIn(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress"
        OK = "ok"
        ERROR = "error"
        MISSED = "missed"  # recorded by the sweep
        TIMEOUT = "timeout"  # an in-progress check-in past the maximum runtime, closed by the sweep

    class Source(models.TextChoices):
        SDK = "sdk"  # a Sentry check_in envelope item
        HTTP = "http"  # Sentry's HTTP check-in URL
        HEARTBEAT = "heartbeat"
        SWEEP = "sweep"

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="check_ins")
    # The client's id, which links an in-progress check-in to the one that finishes it.
    check_in_id = models.UUIDField(default=uuid.uuid4)
    status = models.CharField(max_length=16, choices=Status.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    environment = models.CharField(max_length=64, blank=True, default="")
    release = models.CharField(max_length=250, blank=True, default="")
    # A heartbeat POST's body (the job's output), cut to MAX_BODY_BYTES.
    body = models.TextField(blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["monitor", "check_in_id"], name="check_in_id_once_per_monitor")]
        indexes = [
            models.Index(fields=["monitor", "-created_at"], name="check_in_latest"),
            models.Index(fields=["status", "created_at"], name="check_in_by_status"),
        ]
