"""When failures open an incident and when it recovers, for cron monitors and uptime checks alike, on top of
issues/incidents.py (which makes it an issue like any other).

After `failure_threshold` (K) failures in a row, each failure of the streak is recorded as an event of one issue
per monitor or check, and every later failure while the incident is open: the first opens the issue (new issue),
and once resolved the next incident reopens it (regression). After `recovery_threshold` (R) successes in a row the
issue is resolved as recovered, with the outage's length (from the streak's first failure). Called with the
owner's row locked, in the transaction that records the result; the caller saves the owner.
"""

from collections.abc import Callable, Iterable
from datetime import datetime

from issues import incidents
from monitors.models import CheckIn, Monitor, UptimeCheck, UptimeResult


def after_failure(owner, latest, earlier: Callable[[int], Iterable], describe: Callable[[object], incidents.Failure]):
    """`latest` is the owner's newest failure, already counted in `consecutive_failures`; `earlier(n)` gives the n
    failures before it, newest first; `describe` turns one into the event to record."""
    if owner.incident_event_id is None:
        if owner.consecutive_failures < owner.failure_threshold:
            return
        # The streak just reached K: its earlier failures become events too, oldest first.
        for failure in reversed(list(earlier(owner.consecutive_failures - 1))):
            owner.incident_event_id = incidents.record_failure(owner.project_id, describe(failure))
    owner.incident_event_id = incidents.record_failure(owner.project_id, describe(latest))


def after_success(owner, now: datetime) -> None:
    """Counted in `consecutive_successes` already: an open incident recovers at R; without one, the outage (if it
    was one) is over."""
    if owner.incident_event_id is None:
        owner.failing_since = None
    elif owner.consecutive_successes >= owner.recovery_threshold:
        retry_recovery(owner, now)


def retry_recovery(owner, now: datetime) -> None:
    """Resolve the open incident; kept open while digest has not stored its last failure (the sweep tries again)."""
    if incidents.recover(owner.project_id, owner.incident_event_id, owner.failing_since or now, now):
        owner.incident_event_id = None
        owner.failing_since = None


def check_in_failure(monitor: Monitor, check_in: CheckIn) -> incidents.Failure:
    if check_in.status == CheckIn.Status.MISSED:
        message = f"Monitor {monitor.slug} missed its check-in"
    elif check_in.status == CheckIn.Status.TIMEOUT:
        message = f"Monitor {monitor.slug} timed out after {monitor.max_runtime_minutes} minutes"
    else:
        message = f"Monitor {monitor.slug} failed"
    return incidents.Failure(
        incident_key=f"monitor:{monitor.id}",
        message=message,
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


def earlier_check_in_failures(monitor: Monitor, latest: CheckIn) -> Callable[[int], Iterable]:
    finished = CheckIn.objects.filter(monitor=monitor).exclude(id=latest.id).exclude(status="in_progress")
    return lambda n: finished.order_by("-created_at", "-id")[:n]


def uptime_failure(check: UptimeCheck, result: UptimeResult) -> incidents.Failure:
    return incidents.Failure(
        incident_key=f"uptime:{check.id}",
        message=f"{check.url} {result.reason}",
        occurred_at=result.checked_at,
        environment=check.environment,
        tags={"monitor": check.name[:200], "monitor.kind": "uptime"},
        extra={
            "uptime": {
                "url": check.url,
                "method": check.method,
                "status": result.status_code,
                "response_ms": result.response_ms,
                "certificate_days_left": result.certificate_days_left,
                "failures_in_a_row": check.consecutive_failures,
            }
        },
    )


def earlier_uptime_failures(check: UptimeCheck, latest: UptimeResult) -> Callable[[int], Iterable]:
    return lambda n: (
        UptimeResult.objects.filter(uptime_check=check).exclude(id=latest.id).order_by("-checked_at", "-id")[:n]
    )
