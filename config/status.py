"""What `manage.py status`, the staff status page (/status/) and its JSON (/api/status/) show, computed here once:
each component's state (the health checks, with their details), the background processes' heartbeats, and per
project what arrived, what waits for digest, when digest last stored something and what alerts did."""

from datetime import UTC, datetime, timedelta

from django.db.models import Count, Max, Min, Q, Sum

from config.health import health_setting, run_checks
from config.models import Heartbeat
from issues.models import InboxItem, Issue, IssueMinuteCount, ProjectStorage
from monitors.models import Monitor, UptimeCheck
from notify.models import Delivery
from projects.models import IngestOutcome, IngestOutcomeMinute, Project

ALERTS_WINDOW = timedelta(hours=24)


def workers(now: datetime) -> list[dict]:
    stale = timedelta(seconds=health_setting("HEARTBEAT_STALE_SECONDS"))
    return [
        {
            "role": row.role,
            "process": row.process,
            "started_at": row.started_at,
            "seen_at": row.seen_at,
            "seconds_ago": round((now - row.seen_at).total_seconds()),
            "alive": now - row.seen_at <= stale,
        }
        for row in Heartbeat.objects.order_by("role", "-seen_at")
    ]


def _per_project(rows, key="project_id") -> dict:
    return {row[key]: row for row in rows}


def monitor_states() -> dict[int, dict[str, int]]:
    """Per project, how many cron/heartbeat monitors and uptime checks are in each state: {"ok": 3, "missed": 1}."""
    states: dict[int, dict[str, int]] = {}
    for model in (Monitor, UptimeCheck):
        for row in model.objects.order_by().values("project_id", "state").annotate(n=Count("id")):
            by_state = states.setdefault(row["project_id"], {})
            by_state[row["state"]] = by_state.get(row["state"], 0) + row["n"]
    return states


def project_stats(now: datetime) -> list[dict]:
    issues = _per_project(Issue.objects.values("project_id").annotate(issues=Count("id"), events=Sum("times_seen")))
    inbox = _per_project(
        InboxItem.objects.filter(item_type=InboxItem.ItemType.EVENT)
        .values("project_id")
        .annotate(
            # Names unlike the field's: an annotation named set_aside would stand for it in the filters after it.
            pending_count=Count("id", filter=Q(set_aside=False)),
            set_aside_count=Count("id", filter=Q(set_aside=True)),
            oldest_pending=Min("received_at", filter=Q(set_aside=False)),
        )
    )
    outcomes: dict[int, dict[str, int]] = {}
    for project_id, outcome, count in IngestOutcome.objects.values_list("project_id", "outcome", "count"):
        outcomes.setdefault(project_id, {})[outcome] = count
    # Counts are flushed by the minute they were written in: "last minute" is this minute and the one before, "last
    # hour" the 60 minutes before this one and this one.
    this_minute = now.replace(second=0, microsecond=0)
    accepted = _per_project(
        IngestOutcomeMinute.objects.filter(outcome="accepted", minute__gte=this_minute - timedelta(hours=1))
        .values("project_id")
        .annotate(
            last_hour=Sum("count"),
            last_minute=Sum("count", filter=Q(minute__gte=this_minute - timedelta(minutes=1))),
        )
    )
    alerts = _per_project(
        Delivery.objects.filter(created_at__gte=now - ALERTS_WINDOW)
        .exclude(kind=Delivery.Kind.TEST)
        .values("channel__project_id")
        .annotate(
            sent=Count("id", filter=Q(status=Delivery.Status.SENT)),
            failed=Count("id", filter=Q(status=Delivery.Status.FAILED)),
        ),
        key="channel__project_id",
    )
    storage = {row.project_id: row for row in ProjectStorage.objects.all()}
    monitors = monitor_states()
    stats = []
    for project_id, name in Project.objects.order_by("id").values_list("id", "name"):
        waiting = inbox.get(project_id, {})
        stored = storage.get(project_id)
        oldest = waiting.get("oldest_pending")
        # The arrival minute of the newest event digest stored: per-minute counts are kept for a day, one index
        # read per project.
        last_digest = IssueMinuteCount.objects.filter(
            project_id=project_id, minute__gte=now - timedelta(days=1)
        ).aggregate(last=Max("minute"))["last"]
        stats.append(
            {
                "project_id": project_id,
                "name": name,
                "events": issues.get(project_id, {}).get("events") or 0,
                "issues": issues.get(project_id, {}).get("issues", 0),
                "accepted_last_minute": accepted.get(project_id, {}).get("last_minute") or 0,
                "accepted_last_hour": accepted.get(project_id, {}).get("last_hour") or 0,
                "pending": waiting.get("pending_count", 0),
                "set_aside": waiting.get("set_aside_count", 0),
                "oldest_pending_seconds": round((now - oldest).total_seconds()) if oldest else None,
                "last_digest": last_digest,
                "alerts_sent": alerts.get(project_id, {}).get("sent", 0),
                "alerts_failed": alerts.get(project_id, {}).get("failed", 0),
                # What ingest did with what the project sent, ever: {"accepted": n, "too_large": n, ...}.
                "outcomes": outcomes.get(project_id, {}),
                # What is on disk, as retention's last sweep measured it (None before its first).
                "stored_events": stored.events if stored else None,
                "stored_bytes": stored.bytes if stored else None,
                # Its monitors and uptime checks by state: {"ok": 3, "failed": 1}.
                "monitors": monitors.get(project_id, {}),
            }
        )
    return stats


def system_status() -> dict:
    """{"healthy", "components": {name: {"ok", "detail"}}, "workers": [...], "projects": [...]}: never raises for an
    unreachable service (its component says so, and what needs the database is left empty)."""
    components = run_checks()
    now = datetime.now(UTC)
    database_ok = components.get("database", {"ok": True})["ok"]
    return {
        "healthy": all(component["ok"] for component in components.values()),
        "checked_at": now,
        "components": components,
        "workers": workers(now) if database_ok else [],
        "projects": project_stats(now) if database_ok else [],
    }
