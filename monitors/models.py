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


MIN_INTERVAL_SECONDS = 30
MAX_INTERVAL_SECONDS = 24 * 3600
MAX_TIMEOUT_SECONDS = 60


class UptimeCheck(models.Model):
    """An HTTP(S) request made every `interval_seconds` (monitors/uptime.py), judged by its status, a keyword and
    its certificate. Due when `next_check_at` has passed; a runner claims it by moving that time on."""

    class Method(models.TextChoices):
        GET = "GET"
        HEAD = "HEAD"
        POST = "POST"

    class KeywordMode(models.TextChoices):
        NONE = "", "no keyword"
        PRESENT = "present", "must be present"
        ABSENT = "absent", "must be absent"

    class State(models.TextChoices):
        NEW = "new"
        UP = "up"
        DOWN = "down"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="uptime_checks")
    name = models.CharField(max_length=200)
    url = models.CharField(max_length=2000)
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.GET)
    request_headers = models.JSONField(default=dict, blank=True)
    request_body = models.TextField(blank=True, default="")  # POST only
    # Comma-separated codes and ranges, e.g. "200-299" or "200,204,301".
    expected_statuses = models.CharField(max_length=200, default="200-299")
    keyword = models.CharField(max_length=200, blank=True, default="")
    keyword_mode = models.CharField(max_length=8, choices=KeywordMode.choices, blank=True, default="")
    timeout_seconds = models.PositiveIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(MAX_TIMEOUT_SECONDS)]
    )
    interval_seconds = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(MIN_INTERVAL_SECONDS), MaxValueValidator(MAX_INTERVAL_SECONDS)]
    )
    follow_redirects = models.BooleanField(default=True)
    # An https check fails this many days before its certificate expires.
    certificate_expiry_days = models.PositiveIntegerField(default=14, validators=[MaxValueValidator(365)])
    failure_threshold = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_THRESHOLD)]
    )
    recovery_threshold = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_THRESHOLD)]
    )
    environment = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=now)

    state = models.CharField(max_length=8, choices=State.choices, default=State.NEW)
    next_check_at = models.DateTimeField(default=now)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    certificate_expires_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    consecutive_successes = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    incident_event_id = models.UUIDField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_check_at"], name="uptime_check_due")]

    def __str__(self):
        return self.name


class UptimeResult(models.Model):
    uptime_check = models.ForeignKey(UptimeCheck, on_delete=models.CASCADE, related_name="results")
    checked_at = models.DateTimeField(default=now)
    ok = models.BooleanField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    response_ms = models.FloatField(null=True, blank=True)
    certificate_days_left = models.IntegerField(null=True, blank=True)
    # Why the check failed ("answered 503, expected 200-299", "keyword 'ok' missing", ...); empty when it passed.
    reason = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["uptime_check", "-checked_at"], name="uptime_result_latest")]
