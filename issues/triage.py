"""Triage: a person resolves, reopens, mutes, unmutes or discards issues. The one path for every such change.

The rules are the state machine's (issues/lifecycle.py); this service loads the issues' states under their row
locks, asks the state machine, and writes its answer: the issues' status fields, one IssueTransition per
transition (with the person as actor) in the same transaction, and after commit an announcement to open pages
(issues/live.py). Digest takes it from there (an event after a resolution regresses the issue, a mute ends...).
Discarding an issue also adds an inbound filter on its grouping keys, so its future events are dropped; undoing
the discard deletes that filter.

Callers pass a queryset already narrowed to what the person may see; an issue already in the target state is
left alone (no transition, no push), so repeating an action is harmless.
"""

import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from issues import lifecycle, live
from issues.models import InboundFilter, Issue, IssueHourlyCount, IssueTransition
from issues.releases import newest_release
from projects.models import Project

# One bulk action changes at most this many issues: more than a list page shows (50), and a bound on its work.
MAX_ISSUES = 500
ACTIONS = lifecycle.ACTIONS
MUTE_DURATIONS = lifecycle.MUTE_DURATIONS
TriageError = lifecycle.LifecycleError


def triage(issues: QuerySet, actor, action: str, duration: str = "forever", **options) -> list[int]:
    """Apply the named action (one of ACTIONS) to `issues`; the ids of the issues it changed.

    A mute lasts `duration` (a MUTE_DURATIONS name), or `until` a moment, or until a `volume`; a resolve may be
    `in_release` a release or lifecycle.NEXT_RELEASE (issues/lifecycle.py, act). `actor` None: the sweep's."""
    now = timezone.now()
    lifecycle.check_action(action, duration, now, **options)
    with transaction.atomic():
        # Locked in id order, as digest locks them, so the two never deadlock and neither overwrites the other.
        rows = list(
            issues.order_by("id")
            .select_for_update()
            .values("id", "project_id", "times_seen", "users_seen", *lifecycle.STATE_FIELDS)
        )
        newest = {}
        if options.get("in_release") == lifecycle.NEXT_RELEASE:
            newest = {project_id: newest_release(project_id) for project_id in {row["project_id"] for row in rows}}
        by_new_state: dict[str, tuple[lifecycle.IssueState, list[int]]] = {}
        transitions = []
        by_project: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            counters = lifecycle.Counters(times_seen=row["times_seen"], users_seen=row["users_seen"])
            outcome = lifecycle.act(
                lifecycle.IssueState.of(row),
                action,
                now,
                duration,
                counters=counters,
                newest_release=newest.get(row["project_id"], ""),
                **options,
            )
            if not outcome.changed:
                continue
            # Issues that end in the same state share one update (a mute until a volume counts from each one's own).
            key = repr(sorted(outcome.state.fields().items()))
            by_new_state.setdefault(key, (outcome.state, []))[1].append(row["id"])
            by_project[row["project_id"]].append(row["id"])
            transitions.extend(
                IssueTransition(
                    project_id=row["project_id"], issue_id=row["id"], kind=step.kind, actor=actor, details=step.details
                )
                for step in outcome.steps
            )
        for state, ids in by_new_state.values():
            Issue.objects.filter(id__in=ids).update(**state.fields())
        IssueTransition.objects.bulk_create(transitions)
        _keep_discard_filters(action, by_project)
        for project_id, issue_ids in by_project.items():
            live.project_changed(project_id, issue_ids)  # sent after commit
    return [issue_id for _, ids in by_new_state.values() for issue_id in ids]


def _keep_discard_filters(action: str, by_project: dict[int, list[int]]) -> None:
    """A discarded issue's events are dropped by an inbound filter on its grouping keys (issues/inbound_filters.py):
    made with the discard, deleted by its undoing."""
    changed = [issue_id for issue_ids in by_project.values() for issue_id in issue_ids]
    if action == "discard":
        InboundFilter.objects.bulk_create(
            InboundFilter(project_id=project_id, kind=InboundFilter.Kind.ISSUE, issue_id=issue_id)
            for project_id, issue_ids in by_project.items()
            for issue_id in issue_ids
        )
    elif action == "undiscard":
        InboundFilter.objects.filter(kind=InboundFilter.Kind.ISSUE, issue_id__in=changed).delete()


def resolve_issues(issues: QuerySet, actor, in_release: str = "") -> list[int]:
    """Resolve now, `in_release` R (events of older releases do not regress it), or in lifecycle.NEXT_RELEASE."""
    return triage(issues, actor, "resolve", in_release=in_release)


def unresolve_issues(issues: QuerySet, actor) -> list[int]:
    return triage(issues, actor, "unresolve")


def mute_issues(issues: QuerySet, actor, duration: str = "forever", **options) -> list[int]:
    """Mute until `duration` (a MUTE_DURATIONS name) has passed, or until someone unmutes ("forever"); or `until`
    a moment, or until a `volume` (issues/lifecycle.py, mute_condition)."""
    return triage(issues, actor, "mute", duration, **options)


def unmute_issues(issues: QuerySet, actor) -> list[int]:
    return triage(issues, actor, "unmute")


def recover_issues(issues: QuerySet, outage_seconds: int, failure_event_id: uuid.UUID) -> list[int]:
    """Resolve incidents whose cause recovered by itself (issues/incidents.py): no actor, and a `recovered`
    transition that says how long the outage lasted, with the incident's last failure as its event (what alert
    rules' filters read). A muted or resolved incident is left as it is: a person chose that (lifecycle.recover)."""
    now = timezone.now()
    changed = []
    with transaction.atomic():
        rows = list(issues.order_by("id").select_for_update().values("id", "project_id", *lifecycle.STATE_FIELDS))
        for row in rows:
            outcome = lifecycle.recover(lifecycle.IssueState.of(row), now, outage_seconds)
            if not outcome.changed:
                continue
            Issue.objects.filter(id=row["id"]).update(**outcome.state.fields())
            IssueTransition.objects.bulk_create(
                IssueTransition(
                    project_id=row["project_id"],
                    issue_id=row["id"],
                    kind=step.kind,
                    details=step.details,
                    event_id=failure_event_id,
                )
                for step in outcome.steps
            )
            live.project_changed(row["project_id"], [row["id"]])
            changed.append(row["id"])
    return changed


# The sweep's changes: made by no one, through the same state machine, history rows and live pushes.
SWEEP_BATCH = 500


def auto_resolve_stale_issues(now=None) -> list[int]:
    """Resolve the unresolved issues of projects with `auto_resolve_days` set that had no event for that many
    days; at most SWEEP_BATCH issues a round (the sweep comes back). A resolve alerts no one."""
    now = now or timezone.now()
    changed = []
    for project_id, days in Project.objects.filter(auto_resolve_days__isnull=False).values_list(
        "id", "auto_resolve_days"
    ):
        stale = Issue.objects.filter(
            project_id=project_id, status=Issue.Status.UNRESOLVED, last_seen__lt=now - timedelta(days=days)
        ).order_by("id")
        ids = list(stale.values_list("id", flat=True)[: SWEEP_BATCH - len(changed)])
        if ids:
            changed += triage(
                Issue.objects.filter(id__in=ids), None, "resolve", reason={"auto_resolved_after_days": days}
            )
        if len(changed) >= SWEEP_BATCH:
            break
    return changed


def rearm_quiet_issues(now=None) -> list[int]:
    """Mute again the issues unmuted by volume whose mute asked for a re-arm, once they stayed under its lower
    rate for its quiet period (issues/lifecycle.py, rearm_due)."""
    now = now or timezone.now()
    changed = []
    with transaction.atomic():
        rows = list(
            Issue.objects.filter(status=Issue.Status.UNRESOLVED)
            .exclude(rearm={})
            .order_by("id")
            .select_for_update()
            .values("id", "project_id", "times_seen", "users_seen", *lifecycle.STATE_FIELDS)[:SWEEP_BATCH]
        )
        for row in rows:
            state = lifecycle.IssueState.of(row)
            unmuted_at = datetime.fromisoformat(state.rearm["unmuted_at"])
            since = max(unmuted_at + timedelta(hours=1), now - timedelta(hours=state.rearm["quiet_hours"]))
            busiest = (
                IssueHourlyCount.objects.filter(
                    issue_id=row["id"], hour__gte=since.replace(minute=0, second=0)
                ).aggregate(busiest=Max("count"))["busiest"]
                or 0
            )
            counters = lifecycle.Counters(times_seen=row["times_seen"], users_seen=row["users_seen"])
            outcome = lifecycle.rearm_due(state, now, busiest, counters)
            if not outcome.changed:
                continue
            Issue.objects.filter(id=row["id"]).update(**outcome.state.fields())
            IssueTransition.objects.bulk_create(
                IssueTransition(project_id=row["project_id"], issue_id=row["id"], kind=step.kind, details=step.details)
                for step in outcome.steps
            )
            live.project_changed(row["project_id"], [row["id"]])
            changed.append(row["id"])
    return changed
