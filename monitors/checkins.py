"""Recording check-ins, and what each does to its monitor: the one path for the three ways they arrive (Sentry
envelope items through ingest's inbox, Sentry's HTTP check-in URL, heartbeat URLs) and for the sweep's misses and
timeouts.

A check-in that starts a run (in progress, or a finished one with no run open) sets when the next is expected: the
schedule's next time after it, and the deadline that much later by the check-in margin. A finishing check-in
(`ok`, `error`) closes the run it names by `check_in_id`, or without one (HTTP and heartbeat URLs) the monitor's
latest open run, and takes its duration from it unless it brings its own. Every change of a monitor happens with
its row locked, so check-ins and sweeps that come at once are applied one after the other.
"""

import math
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from monitors import incidents
from monitors.errors import CheckInRefused, UnknownMonitor
from monitors.limits import admit_check_in
from monitors.models import MAX_MARGIN_MINUTES, MAX_RUNTIME_MINUTES, MAX_THRESHOLD, CheckIn, Monitor
from monitors.schedule import ScheduleError, from_sentry_config

SLUG = re.compile(r"[A-Za-z0-9_-]{1,64}")
STATUSES = (CheckIn.Status.IN_PROGRESS, CheckIn.Status.OK, CheckIn.Status.ERROR)
MAX_BODY_BYTES = 10 * 1024
MAX_DURATION_SECONDS = 366 * 24 * 3600
MAX_TEXT = 64


@dataclass(frozen=True)
class CheckInReport:
    """A check-in as a client sent it, already checked."""

    status: str
    source: str
    check_in_id: uuid.UUID | None = None
    duration: float | None = None
    environment: str = ""
    release: str = ""
    body: str = ""


def checked_slug(slug) -> str:
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        raise CheckInRefused("monitor slug must be 1-64 letters, digits, '-' or '_'")
    return slug


def checked_status(status) -> str:
    if status not in STATUSES:
        raise CheckInRefused(f"status must be one of {', '.join(STATUSES)}")
    return status


def checked_check_in_id(value) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        if isinstance(value, str):
            return uuid.UUID(value)
    except ValueError:
        pass
    raise CheckInRefused("check_in_id must be a UUID")


def checked_duration(duration) -> float | None:
    if duration is None:
        return None
    if isinstance(duration, bool) or not isinstance(duration, int | float):
        raise CheckInRefused("duration must be a number of seconds")
    if not math.isfinite(duration) or not 0 <= duration <= MAX_DURATION_SECONDS:
        raise CheckInRefused("duration must be between 0 and a year, in seconds")
    return float(duration)


def checked_text(value, what: str, limit: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise CheckInRefused(f"{what} must be text of at most {limit} characters")
    return value


def body_text(raw: bytes) -> str:
    """A job's output as kept with its check-in: the first MAX_BODY_BYTES, as text."""
    return raw[:MAX_BODY_BYTES].decode("utf-8", errors="replace").replace("\x00", "")


def find_monitor(project_id: int, slug: str) -> Monitor:
    monitor = Monitor.objects.filter(project_id=project_id, slug=checked_slug(slug)).first()
    if monitor is None:
        raise UnknownMonitor(f"no monitor {slug!r} in this project (send a monitor_config to create it)")
    return monitor


def _bounded_int(config: dict, name: str, low: int, high: int, default: int) -> int:
    value = config.get(name)
    if value is None:
        return default
    if type(value) is not int or not low <= value <= high:
        raise CheckInRefused(f"monitor_config.{name} must be a whole number from {low} to {high}")
    return value


def upsert_monitor(project_id: int, slug: str, config) -> Monitor:
    """Create the monitor `slug` from a Sentry `monitor_config`, or bring an existing one in line with it (what a
    config leaves out keeps its current value, or the default for a new monitor)."""
    checked_slug(slug)
    if not isinstance(config, dict):
        raise CheckInRefused("monitor_config must be an object")
    try:
        schedule = from_sentry_config(config.get("schedule"), config.get("timezone"))
    except ScheduleError as error:
        raise CheckInRefused(str(error)) from None
    with transaction.atomic():
        monitor = Monitor.objects.select_for_update().filter(project_id=project_id, slug=slug).first()
        if monitor is None:
            try:
                with transaction.atomic():
                    monitor = Monitor.objects.create(project_id=project_id, slug=slug, name=slug)
            except IntegrityError:  # created meanwhile by another check-in
                monitor = Monitor.objects.select_for_update().get(project_id=project_id, slug=slug)
        fields = {
            "checkin_margin_minutes": _bounded_int(
                config, "checkin_margin", 1, MAX_MARGIN_MINUTES, monitor.checkin_margin_minutes
            ),
            "max_runtime_minutes": _bounded_int(
                config, "max_runtime", 1, MAX_RUNTIME_MINUTES, monitor.max_runtime_minutes
            ),
            "failure_threshold": _bounded_int(
                config, "failure_issue_threshold", 1, MAX_THRESHOLD, monitor.failure_threshold
            ),
            "recovery_threshold": _bounded_int(
                config, "recovery_threshold", 1, MAX_THRESHOLD, monitor.recovery_threshold
            ),
        }
        before = (monitor.schedule_type, monitor.crontab, monitor.interval_value, monitor.interval_unit)
        before_tz, before_margin = monitor.timezone, monitor.checkin_margin_minutes
        monitor.set_schedule(schedule)
        for name, value in fields.items():
            setattr(monitor, name, value)
        after = (monitor.schedule_type, monitor.crontab, monitor.interval_value, monitor.interval_unit)
        changed = (before, before_tz, before_margin) != (after, monitor.timezone, monitor.checkin_margin_minutes)
        if changed and monitor.last_check_in_at is not None:
            expect_next(monitor, monitor.last_check_in_at)
        monitor.save()
    return monitor


def expect_next(monitor: Monitor, after: datetime) -> None:
    monitor.next_expected_at = monitor.schedule.next_after(after)
    monitor.deadline = monitor.next_expected_at + timedelta(minutes=monitor.checkin_margin_minutes)


def record_check_in(monitor: Monitor, report: CheckInReport, now: datetime | None = None) -> CheckIn | None:
    """Record `report` for `monitor` and update its state; the check-in row, or None when the monitor watches
    another environment. Raises TooManyCheckIns past the per-monitor limit."""
    now = now or timezone.now()
    if monitor.environment and report.environment and report.environment != monitor.environment:
        return None
    admit_check_in(monitor.id, now)
    with transaction.atomic():
        monitor = Monitor.objects.select_for_update().get(id=monitor.id)
        run = _open_run(monitor, report)
        if run is not None:
            if run.status != CheckIn.Status.IN_PROGRESS or report.status == CheckIn.Status.IN_PROGRESS:
                return run  # a repeat, or a run the sweep already closed as timed out: nothing changes
            run.status = report.status
            run.finished_at = now
            run.duration_seconds = (
                report.duration if report.duration is not None else (now - run.created_at).total_seconds()
            )
            run.body = report.body or run.body
            run.save(update_fields=["status", "finished_at", "duration_seconds", "body"])
        else:
            finished = report.status != CheckIn.Status.IN_PROGRESS
            run = CheckIn.objects.create(
                monitor=monitor,
                check_in_id=report.check_in_id or uuid.uuid4(),
                status=report.status,
                source=report.source,
                created_at=now,
                finished_at=now if finished else None,
                duration_seconds=report.duration if finished else None,
                environment=report.environment,
                release=report.release,
                body=report.body,
            )
            monitor.last_check_in_at = now
            expect_next(monitor, now)
        if report.status == CheckIn.Status.IN_PROGRESS:
            monitor.state = Monitor.State.IN_PROGRESS
            monitor.save()
        elif report.status == CheckIn.Status.OK:
            record_success(monitor, now)
        else:
            record_failure(monitor, Monitor.State.FAILED, run)
    return run


def _open_run(monitor: Monitor, report: CheckInReport) -> CheckIn | None:
    if report.check_in_id is not None:
        return CheckIn.objects.filter(monitor=monitor, check_in_id=report.check_in_id).first()
    if report.status == CheckIn.Status.IN_PROGRESS:
        return None
    return CheckIn.objects.filter(monitor=monitor, status=CheckIn.Status.IN_PROGRESS).order_by("-created_at").first()


def record_success(monitor: Monitor, now: datetime) -> None:
    """A run ended well (the monitor's row is locked and saved here)."""
    monitor.state = Monitor.State.OK
    monitor.consecutive_failures = 0
    monitor.consecutive_successes += 1
    incidents.after_success(monitor, now)
    monitor.save()


def record_failure(monitor: Monitor, state: str, check_in: CheckIn) -> None:
    """A run failed, timed out or was missed (the monitor's row is locked and saved here)."""
    monitor.state = state
    monitor.consecutive_successes = 0
    monitor.consecutive_failures += 1
    if monitor.failing_since is None:
        monitor.failing_since = check_in.created_at
    incidents.after_failure(
        monitor,
        check_in,
        incidents.earlier_check_in_failures(monitor, check_in),
        lambda failure: incidents.check_in_failure(monitor, failure),
    )
    monitor.save()
