"""Triage: a person resolves, reopens, mutes or unmutes issues. The one path for every such change.

Each action changes the issues' status fields, writes one IssueTransition per changed issue (with the person as
actor) in the same transaction, and announces the change to open pages after commit (issues/live.py), so the UI,
the API, digest and notify agree on what happened and when. Digest takes it from there: an event after a
resolution regresses the issue; a mute for a while (1h, 24h, 7d) ends at the first event after its end, or
earlier when the issue escalates; a mute "forever" lasts until someone unmutes (issues/escalation.py).

Callers pass a queryset already narrowed to what the person may see; an issue already in the target state is
left alone (no transition, no push), so repeating an action is harmless.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from issues import live
from issues.models import Issue, IssueTransition

# One bulk action changes at most this many issues: more than a list page shows (50), and a bound on its work.
MAX_ISSUES = 500
# The durations a mute may be given, by the names forms and the API use; "forever" means until someone unmutes.
MUTE_DURATIONS = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "forever": None,
}


class TriageError(ValueError):
    """The action cannot be applied as asked (an unknown action or mute duration)."""


@dataclass(frozen=True)
class _Change:
    kind: str
    # Issues in these states change; the others are already where the action would take them.
    from_statuses: tuple[str, ...]
    fields: dict
    details: dict
    event_id: uuid.UUID | None = None  # the event behind the change, where there is one


def _resolve(now: datetime) -> _Change:
    return _Change(
        IssueTransition.Kind.RESOLVED,
        (Issue.Status.UNRESOLVED, Issue.Status.MUTED),
        {"status": Issue.Status.RESOLVED, "resolved_at": now, "resolved_in_release": "", "muted_until": None},
        {},
    )


def _reopen(kind: str, from_status: str) -> _Change:
    return _Change(
        kind,
        (from_status,),
        {"status": Issue.Status.UNRESOLVED, "resolved_at": None, "resolved_in_release": "", "muted_until": None},
        {},
    )


def _mute(now: datetime, duration: str) -> _Change:
    if duration not in MUTE_DURATIONS:
        raise TriageError(f"unknown mute duration {duration!r}; one of {', '.join(MUTE_DURATIONS)}")
    delta = MUTE_DURATIONS[duration]
    until = now + delta if delta else None
    return _Change(
        IssueTransition.Kind.MUTED,
        (Issue.Status.UNRESOLVED, Issue.Status.RESOLVED),
        {"status": Issue.Status.MUTED, "resolved_at": None, "resolved_in_release": "", "muted_until": until},
        {"muted_until": until.isoformat() if until else None},
    )


def _apply(issues: QuerySet, actor, change: _Change) -> list[int]:
    """Apply `change` to those of `issues` it changes; the ids of the changed issues."""
    with transaction.atomic():
        # Locked in id order, as digest locks them, so the two never deadlock and neither overwrites the other.
        rows = list(
            issues.filter(status__in=change.from_statuses)
            .order_by("id")
            .select_for_update()
            .values_list("id", "project_id")
        )
        if not rows:
            return []
        ids = [issue_id for issue_id, _ in rows]
        Issue.objects.filter(id__in=ids).update(**change.fields)
        IssueTransition.objects.bulk_create(
            IssueTransition(
                project_id=project_id,
                issue_id=issue_id,
                kind=change.kind,
                actor=actor,
                details=change.details,
                event_id=change.event_id,
            )
            for issue_id, project_id in rows
        )
        by_project: dict[int, list[int]] = defaultdict(list)
        for issue_id, project_id in rows:
            by_project[project_id].append(issue_id)
        for project_id, issue_ids in by_project.items():
            live.project_changed(project_id, issue_ids)  # sent after commit
    return ids


def resolve_issues(issues: QuerySet, actor) -> list[int]:
    return _apply(issues, actor, _resolve(timezone.now()))


def unresolve_issues(issues: QuerySet, actor) -> list[int]:
    return _apply(issues, actor, _reopen(IssueTransition.Kind.UNRESOLVED, Issue.Status.RESOLVED))


def mute_issues(issues: QuerySet, actor, duration: str = "forever") -> list[int]:
    """Mute until `duration` (a MUTE_DURATIONS name) has passed, or until someone unmutes ("forever")."""
    return _apply(issues, actor, _mute(timezone.now(), duration))


def unmute_issues(issues: QuerySet, actor) -> list[int]:
    return _apply(issues, actor, _reopen(IssueTransition.Kind.UNMUTED, Issue.Status.MUTED))


def recover_issues(issues: QuerySet, outage_seconds: int, failure_event_id: uuid.UUID) -> list[int]:
    """Resolve incidents whose cause recovered by itself (issues/incidents.py): no actor, and a `recovered`
    transition that says how long the outage lasted, with the incident's last failure as its event (what alert
    rules' filters read). A muted incident stays muted: a person chose that."""
    fields = _resolve(timezone.now()).fields
    details = {"outage_seconds": outage_seconds}
    recovered = _Change(IssueTransition.Kind.RECOVERED, (Issue.Status.UNRESOLVED,), fields, details, failure_event_id)
    return _apply(issues, None, recovered)


ACTIONS = {
    "resolve": resolve_issues,
    "unresolve": unresolve_issues,
    "mute": mute_issues,
    "unmute": unmute_issues,
}


def triage(issues: QuerySet, actor, action: str, duration: str = "forever") -> list[int]:
    """Apply the named action (a key of ACTIONS) to `issues`; the ids of the issues it changed."""
    if action not in ACTIONS:
        raise TriageError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if action == "mute":
        return mute_issues(issues, actor, duration)
    return ACTIONS[action](issues, actor)
