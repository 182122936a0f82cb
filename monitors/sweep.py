"""The periodic sweep: a missed check-in for each monitor past its deadline, a timeout for each run in progress past
its monitor's maximum runtime, the recoveries that waited for digest, and history past its keeping time (beat in
production, a thread in the embedded default: monitors/runner.py).

Safe to run twice at once: each miss is recorded under the monitor's row lock, only while the deadline is still the
one the sweep found (a sweep or check-in that came first has moved it), and its check-in has an id made from the
monitor and the expected time, which the database keeps unique; a timeout is claimed by a conditional update of the
run's status, which only one sweep can win.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from monitors.checkins import expect_next, record_failure
from monitors.incidents import retry_recovery
from monitors.models import CheckIn, Monitor, UptimeResult
from projects.options import option

logger = logging.getLogger(__name__)

BATCH = 500
HISTORY_BATCH = 5000
MISSED_NAMESPACE = uuid.UUID("5b0f5f0e-6b1e-4f77-9a41-0c1d2a7e3c55")


@dataclass
class SweepResult:
    missed: int = 0
    timed_out: int = 0
    deleted: int = 0


def sweep(now: datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    overdue = Monitor.objects.filter(deadline__lt=now).order_by("deadline").values_list("id", "deadline")[:BATCH]
    for monitor_id, deadline in list(overdue):
        result.missed += _record_missed(monitor_id, deadline, now)
    # The shortest maximum runtime is a minute: runs younger than that cannot have timed out.
    running = CheckIn.objects.filter(status=CheckIn.Status.IN_PROGRESS, created_at__lt=now - timedelta(minutes=1))
    rows = running.order_by("created_at").values_list("id", "monitor_id", "created_at", "monitor__max_runtime_minutes")
    for check_in_id, monitor_id, created_at, max_runtime in list(rows[:BATCH]):
        if created_at + timedelta(minutes=max_runtime) < now:
            result.timed_out += _record_timeout(check_in_id, monitor_id, now)
    # Recoveries that waited for digest to store the incident's last failure.
    recovered = Monitor.objects.filter(
        incident_event_id__isnull=False, consecutive_successes__gte=F("recovery_threshold")
    ).values_list("id", flat=True)
    for monitor_id in list(recovered[:BATCH]):
        _retry_recovery(monitor_id, now)
    result.deleted = delete_old_history(now)
    if result.missed or result.timed_out:
        logger.info("monitors: %d missed check-ins, %d timeouts", result.missed, result.timed_out)
    return result


def delete_old_history(now: datetime) -> int:
    """Delete up to HISTORY_BATCH check-ins and uptime results past MONITOR_HISTORY_DAYS (bounded, so that a sweep
    stays short; a backlog goes in the next sweeps). A run still in progress is kept for the timeout to close."""
    horizon = now - timedelta(days=option("MONITOR_HISTORY_DAYS"))
    deleted = 0
    old_check_ins = CheckIn.objects.filter(created_at__lt=horizon).exclude(status=CheckIn.Status.IN_PROGRESS)
    for model, rows in ((CheckIn, old_check_ins), (UptimeResult, UptimeResult.objects.filter(checked_at__lt=horizon))):
        ids = list(rows.order_by("id").values_list("id", flat=True)[:HISTORY_BATCH])
        if ids:
            deleted += model.objects.filter(id__in=ids)._raw_delete(model.objects.db)
    return deleted


def _record_missed(monitor_id: int, deadline: datetime, now: datetime) -> bool:
    with transaction.atomic():
        monitor = Monitor.objects.select_for_update(skip_locked=True).filter(id=monitor_id, deadline=deadline).first()
        if monitor is None:
            return False  # moved by a check-in or another sweep meanwhile
        expected = monitor.next_expected_at
        missed = CheckIn.objects.create(
            monitor=monitor,
            check_in_id=uuid.uuid5(MISSED_NAMESPACE, f"{monitor.id}:{expected.isoformat()}"),
            status=CheckIn.Status.MISSED,
            source=CheckIn.Source.SWEEP,
            created_at=expected,
            finished_at=now,
        )
        # Expected again at the schedule's next time from now: a monitor down for days records one miss per sweep
        # that finds it overdue, not one per period it slept through.
        expect_next(monitor, now)
        record_failure(monitor, Monitor.State.MISSED, missed)
    return True


def _retry_recovery(monitor_id: int, now: datetime) -> None:
    with transaction.atomic():
        monitor = Monitor.objects.select_for_update(skip_locked=True).filter(id=monitor_id).first()
        if monitor is not None and monitor.incident_event_id is not None:
            # The outage ended with the check-in that completed the recovery, not with this sweep.
            retry_recovery(monitor, monitor.last_check_in_at or now)
            monitor.save()


def _record_timeout(check_in_id: int, monitor_id: int, now: datetime) -> bool:
    with transaction.atomic():
        # The monitor's row first, as check-ins lock it, so that the two never wait on each other in a circle.
        monitor = Monitor.objects.select_for_update().get(id=monitor_id)
        if not CheckIn.objects.filter(id=check_in_id, status=CheckIn.Status.IN_PROGRESS).update(
            status=CheckIn.Status.TIMEOUT, finished_at=now
        ):
            return False  # finished, or claimed by another sweep
        run = CheckIn.objects.get(id=check_in_id)
        run.duration_seconds = (now - run.created_at).total_seconds()
        run.save(update_fields=["duration_seconds"])
        record_failure(monitor, Monitor.State.TIMED_OUT, run)
    return True
