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

from collections import defaultdict

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from issues import lifecycle, live
from issues.models import InboundFilter, Issue, IssueTransition

# One bulk action changes at most this many issues: more than a list page shows (50), and a bound on its work.
MAX_ISSUES = 500
ACTIONS = lifecycle.ACTIONS
MUTE_DURATIONS = lifecycle.MUTE_DURATIONS
TriageError = lifecycle.LifecycleError

STATE_FIELDS = ("status", "resolved_at", "resolved_in_release", "muted_until")


def triage(issues: QuerySet, actor, action: str, duration: str = "forever") -> list[int]:
    """Apply the named action (one of ACTIONS; a mute lasts `duration`, a MUTE_DURATIONS name) to `issues`; the
    ids of the issues it changed."""
    lifecycle.check_action(action, duration)
    now = timezone.now()
    with transaction.atomic():
        # Locked in id order, as digest locks them, so the two never deadlock and neither overwrites the other.
        rows = list(issues.order_by("id").select_for_update().values("id", "project_id", *STATE_FIELDS))
        by_new_state: dict[lifecycle.IssueState, list[int]] = defaultdict(list)
        transitions = []
        by_project: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            outcome = lifecycle.act(lifecycle.IssueState.of(row), action, now, duration)
            if not outcome.changed:
                continue
            by_new_state[outcome.state].append(row["id"])
            by_project[row["project_id"]].append(row["id"])
            transitions.extend(
                IssueTransition(
                    project_id=row["project_id"], issue_id=row["id"], kind=step.kind, actor=actor, details=step.details
                )
                for step in outcome.steps
            )
        # An action takes every issue it changes to the same state: one update per distinct new state.
        for state, ids in by_new_state.items():
            Issue.objects.filter(id__in=ids).update(**state.fields())
        IssueTransition.objects.bulk_create(transitions)
        _keep_discard_filters(action, by_project)
        for project_id, issue_ids in by_project.items():
            live.project_changed(project_id, issue_ids)  # sent after commit
    return [issue_id for ids in by_new_state.values() for issue_id in ids]


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


def resolve_issues(issues: QuerySet, actor) -> list[int]:
    return triage(issues, actor, "resolve")


def unresolve_issues(issues: QuerySet, actor) -> list[int]:
    return triage(issues, actor, "unresolve")


def mute_issues(issues: QuerySet, actor, duration: str = "forever") -> list[int]:
    """Mute until `duration` (a MUTE_DURATIONS name) has passed, or until someone unmutes ("forever")."""
    return triage(issues, actor, "mute", duration)


def unmute_issues(issues: QuerySet, actor) -> list[int]:
    return triage(issues, actor, "unmute")
