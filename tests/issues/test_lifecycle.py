"""The issue state machine, one row per transition: a state and an action or a batch of events in, the state and
the transitions out. Pure: no database."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from issues import lifecycle
from issues.lifecycle import DISCARDED, MUTED, OPEN, RESOLVED, UNRESOLVED, IssueState
from issues.models import Issue, IssueTransition

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=2)
LATER = NOW + timedelta(hours=2)
HOUR = timedelta(hours=1)

RESOLVED_EARLIER = IssueState(RESOLVED, resolved_at=EARLIER)
RESOLVED_IN_2 = IssueState(RESOLVED, resolved_at=EARLIER, resolved_in_release="2.0")
MUTED_FOREVER = IssueState(MUTED)
MUTED_UNTIL_LATER = IssueState(MUTED, muted_until=LATER)
MUTE_ENDED = IssueState(MUTED, muted_until=EARLIER)
DISCARDED_STATE = IssueState(DISCARDED)


@dataclass(frozen=True)
class Ev:
    received_at: datetime
    release: str = ""


def kinds(outcome):
    return [step.kind for step in outcome.steps]


ACTION_TABLE = [
    # state, action, duration, new state, transitions
    (OPEN, "resolve", "forever", IssueState(RESOLVED, resolved_at=NOW), ["resolved"]),
    (MUTED_UNTIL_LATER, "resolve", "forever", IssueState(RESOLVED, resolved_at=NOW), ["resolved"]),
    (RESOLVED_EARLIER, "resolve", "forever", RESOLVED_EARLIER, []),
    (RESOLVED_IN_2, "unresolve", "forever", OPEN, ["unresolved"]),
    (OPEN, "unresolve", "forever", OPEN, []),
    (MUTED_FOREVER, "unresolve", "forever", MUTED_FOREVER, []),
    (OPEN, "mute", "forever", MUTED_FOREVER, ["muted"]),
    (OPEN, "mute", "1h", IssueState(MUTED, muted_until=NOW + HOUR), ["muted"]),
    (OPEN, "mute", "24h", IssueState(MUTED, muted_until=NOW + 24 * HOUR), ["muted"]),
    (RESOLVED_EARLIER, "mute", "7d", IssueState(MUTED, muted_until=NOW + 7 * 24 * HOUR), ["muted"]),
    (MUTED_UNTIL_LATER, "mute", "forever", MUTED_UNTIL_LATER, []),
    (MUTED_UNTIL_LATER, "unmute", "forever", OPEN, ["unmuted"]),
    (OPEN, "unmute", "forever", OPEN, []),
    (RESOLVED_EARLIER, "unmute", "forever", RESOLVED_EARLIER, []),
    (OPEN, "discard", "forever", DISCARDED_STATE, ["discarded"]),
    (RESOLVED_IN_2, "discard", "forever", DISCARDED_STATE, ["discarded"]),
    (MUTED_FOREVER, "discard", "forever", DISCARDED_STATE, ["discarded"]),
    (DISCARDED_STATE, "discard", "forever", DISCARDED_STATE, []),
    (DISCARDED_STATE, "undiscard", "forever", OPEN, ["undiscarded"]),
    (OPEN, "undiscard", "forever", OPEN, []),
    # A discarded issue is brought back first: resolving or muting it would never end, its events being dropped.
    (DISCARDED_STATE, "resolve", "forever", DISCARDED_STATE, []),
    (DISCARDED_STATE, "mute", "1h", DISCARDED_STATE, []),
]


@pytest.mark.parametrize(("state", "action", "duration", "expected", "transitions"), ACTION_TABLE)
def test_actions(state, action, duration, expected, transitions):
    outcome = lifecycle.act(state, action, NOW, duration)
    assert outcome.state == expected
    assert kinds(outcome) == transitions
    assert outcome.changed == bool(transitions)


def test_a_mute_records_its_end_in_the_history():
    assert lifecycle.act(OPEN, "mute", NOW, "1h").steps[0].details == {"muted_until": (NOW + HOUR).isoformat()}
    assert lifecycle.act(OPEN, "mute", NOW, "forever").steps[0].details == {"muted_until": None}


@pytest.mark.parametrize(("action", "duration"), [("delete", "forever"), ("mute", "2h"), ("", "forever")])
def test_unknown_actions_and_durations_are_refused(action, duration):
    with pytest.raises(lifecycle.LifecycleError):
        lifecycle.check_action(action, duration)


ESCALATION = {"events_this_hour": 80, "usual_per_hour": 2.0, "factor": 10}

EVENT_TABLE = [
    # state, events, escalation, new state, transitions, index of the event each transition names
    (OPEN, [Ev(NOW)], None, OPEN, [], []),
    (RESOLVED_EARLIER, [Ev(NOW)], None, OPEN, ["regressed"], [0]),
    # A backlog received before the resolution does not reopen it; the first event after it does.
    (RESOLVED_EARLIER, [Ev(EARLIER - HOUR)], None, RESOLVED_EARLIER, [], []),
    (RESOLVED_EARLIER, [Ev(EARLIER - HOUR), Ev(NOW)], None, OPEN, ["regressed"], [1]),
    # Resolved in 2.0: events of older releases are expected, events of 2.0 regress.
    (RESOLVED_IN_2, [Ev(NOW, "1.9")], None, RESOLVED_IN_2, [], []),
    (RESOLVED_IN_2, [Ev(NOW, "1.9"), Ev(NOW, "2.0")], None, OPEN, ["regressed"], [1]),
    (MUTED_FOREVER, [Ev(NOW)], None, MUTED_FOREVER, [], []),
    (MUTED_UNTIL_LATER, [Ev(NOW)], None, MUTED_UNTIL_LATER, [], []),
    (MUTE_ENDED, [Ev(NOW), Ev(NOW)], None, OPEN, ["unmuted"], [0]),
    (OPEN, [Ev(NOW)], ESCALATION, OPEN, ["escalated"], [0]),
    (MUTED_UNTIL_LATER, [Ev(NOW)], ESCALATION, OPEN, ["unmuted", "escalated"], [0, 0]),
    (MUTE_ENDED, [Ev(NOW)], ESCALATION, OPEN, ["unmuted", "escalated"], [0, 0]),
    # Events already on their way when the issue was discarded change nothing.
    (DISCARDED_STATE, [Ev(NOW)], None, DISCARDED_STATE, [], []),
]


@pytest.mark.parametrize(("state", "events", "escalation", "expected", "transitions", "caused_by"), EVENT_TABLE)
def test_events(state, events, escalation, expected, transitions, caused_by):
    outcome = lifecycle.on_events(state, events, NOW, escalation)
    assert outcome.state == expected
    assert kinds(outcome) == transitions
    assert [events.index(step.event) for step in outcome.steps] == caused_by


def test_an_unmute_by_escalation_says_so_and_the_escalation_carries_its_figures():
    unmuted, escalated = lifecycle.on_events(MUTED_UNTIL_LATER, [Ev(NOW)], NOW, ESCALATION).steps
    assert unmuted.details == {"muted_until": LATER.isoformat(), "escalated": True}
    assert escalated.details == ESCALATION


@pytest.mark.parametrize(
    ("state", "may"),
    [
        (OPEN, True),
        (MUTED_UNTIL_LATER, True),
        (MUTE_ENDED, True),
        (MUTED_FOREVER, False),
        (RESOLVED_EARLIER, False),
        (DISCARDED_STATE, False),
    ],
)
def test_which_states_may_escalate(state, may):
    assert lifecycle.may_escalate(state) is may


def test_the_module_speaks_the_models_names():
    assert {UNRESOLVED, RESOLVED, MUTED, DISCARDED} == set(Issue.Status.values)
    kinds_written = {lifecycle.NEW, lifecycle.REGRESSED, lifecycle.UNMUTED, lifecycle.ESCALATED, lifecycle.UNDISCARDED}
    assert kinds_written | {RESOLVED, UNRESOLVED, MUTED, DISCARDED} == set(IssueTransition.Kind.values)
