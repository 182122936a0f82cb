"""When a monitor's failures open an incident and when it recovers, on top of issues/incidents.py (which makes it an
issue like any other).

After `failure_threshold` (K) failures in a row, each failure of the streak is recorded as an event of one issue
per monitor, and every later failure while the incident is open: the first opens the issue (new issue), and once
resolved the next incident reopens it (regression). After `recovery_threshold` (R) successes in a row the issue is
resolved as recovered, with the outage's length (from the streak's first failure). Called
with the monitor's row locked, in the transaction that records the check-in; the caller saves the monitor.
"""

from datetime import datetime

from issues import incidents
from monitors.models import CheckIn, Monitor


def incident_key(monitor: Monitor) -> str:
    return f"monitor:{monitor.id}"


def failure_message(monitor: Monitor, check_in: CheckIn) -> str:
    if check_in.status == CheckIn.Status.MISSED:
        return f"Monitor {monitor.slug} missed its check-in"
    if check_in.status == CheckIn.Status.TIMEOUT:
        return f"Monitor {monitor.slug} timed out after {monitor.max_runtime_minutes} minutes"
    return f"Monitor {monitor.slug} failed"


def _record(monitor: Monitor, check_in: CheckIn) -> None:
    failure = incidents.Failure(
        incident_key=incident_key(monitor),
        message=failure_message(monitor, check_in),
        occurred_at=check_in.created_at,
        environment=check_in.environment or monitor.environment,
        release=check_in.release,
        tags={"monitor": monitor.slug, "monitor.status": check_in.status},
        extra={
            "monitor": {
                "name": monitor.name,
                "schedule": monitor.schedule.describe(),
                "failures_in_a_row": monitor.consecutive_failures,
                "check_in_id": check_in.check_in_id.hex,
                "output": check_in.body,
            }
        },
    )
    monitor.incident_event_id = incidents.record_failure(monitor.project_id, failure)


def after_failure(monitor: Monitor, check_in: CheckIn) -> None:
    """`check_in` is the monitor's latest failure, already counted in `consecutive_failures`."""
    if monitor.incident_event_id is None:
        if monitor.consecutive_failures < monitor.failure_threshold:
            return
        # The streak just reached K: its earlier failures become events too, oldest first.
        finished = CheckIn.objects.filter(monitor=monitor).exclude(id=check_in.id).exclude(status="in_progress")
        earlier = finished.order_by("-created_at", "-id")[: monitor.consecutive_failures - 1]
        for failure in reversed(earlier):
            _record(monitor, failure)
    _record(monitor, check_in)


def after_success(monitor: Monitor, now: datetime) -> None:
    """Counted in `consecutive_successes` already: an open incident recovers at R; without one, the outage
    (if it was one) is over."""
    if monitor.incident_event_id is None:
        monitor.failing_since = None
    elif monitor.consecutive_successes >= monitor.recovery_threshold:
        retry_recovery(monitor, now)


def retry_recovery(monitor: Monitor, now: datetime) -> None:
    """Resolve the open incident; kept open while digest has not stored its last failure (the sweep tries again)."""
    if incidents.recover(monitor.project_id, monitor.incident_event_id, monitor.failing_since or now, now):
        monitor.incident_event_id = None
        monitor.failing_since = None
