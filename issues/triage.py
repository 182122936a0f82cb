"""Triage: a person resolves, reopens, mutes or unmutes issues. The one path for every such change.

The rules are the state machine's (issues/lifecycle.py); this service loads the issues' states under their row
locks, asks the state machine, and writes its answer: the issues' status fields, one IssueTransition per
transition (with the person as actor) in the same transaction, and after commit an announcement to open pages
(issues/live.py). Digest takes it from there (an event after a resolution regresses the issue, a mute ends...).

Callers pass a queryset already narrowed to what the person may see; an issue already in the target state is
left alone (no transition, no push), so repeating an action is harmless.
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from issues import lifecycle, live
from issues.models import Issue, IssueTransition

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
        for project_id, issue_ids in by_project.items():
            live.project_changed(project_id, issue_ids)  # sent after commit
    return [issue_id for ids in by_new_state.values() for issue_id in ids]


def resolve_issues(issues: QuerySet, actor) -> list[int]:
    return triage(issues, actor, "resolve")


def unresolve_issues(issues: QuerySet, actor) -> list[int]:
    return triage(issues, actor, "unresolve")


def mute_issues(issues: QuerySet, actor, duration: str = "forever") -> list[int]:
    """Mute until `duration` (a MUTE_DURATIONS name) has passed, or until someone unmutes ("forever")."""
    return triage(issues, actor, "mute", duration)


def unmute_issues(issues: QuerySet, actor) -> list[int]:
    return triage(issues, actor, "unmute")
