"""The issue state machine, one row per transition: a state and an action or a batch of events in, the state and
the transitions out. Pure: no database."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from issues import lifecycle
from issues.lifecycle import DISCARDED, MUTED, OPEN, RESOLVED, UNRESOLVED, IssueState
from issues.models import Issue, IssueTransition
from issues.releases import version_of

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
RESOLVED_NEXT_AFTER_2 = IssueState(RESOLVED, resolved_at=EARLIER, resolved_after_release="2.0")
RESOLVED_NEXT_NONE_SEEN = IssueState(RESOLVED, resolved_at=EARLIER, resolved_after_release="")
COUNT_MUTE = IssueState(MUTED, mute_condition={"kind": "count", "threshold": 10, "base": 100})
USERS_MUTE = IssueState(MUTED, mute_condition={"kind": "users", "threshold": 5, "base": 20})
HOURLY_MUTE = IssueState(MUTED, mute_condition={"kind": "rate", "threshold": 100, "window": "hour"})
DAILY_MUTE = IssueState(MUTED, mute_condition={"kind": "rate", "threshold": 1000, "window": "day"})
REARMING = {"kind": "rate", "threshold": 100, "window": "hour", "rearm": {"below": 10, "quiet_hours": 24}}
REARMING_MUTE = IssueState(MUTED, mute_condition=REARMING)
PENDING_REARM = IssueState(
    rearm={
        "condition": {"kind": "rate", "threshold": 100, "window": "hour"},
        "below": 10,
        "quiet_hours": 24,
        "unmuted_at": (NOW - 25 * HOUR).isoformat(),
    }
)


@dataclass(frozen=True)
class Ev:
    received_at: datetime
    release: str = ""
    stamped: datetime | None = None  # the event's own timestamp, when not its arrival

    @property
    def timestamp(self) -> datetime:
        return self.stamped or self.received_at


def by_version(newer: str, older: str) -> bool:
    return version_of(newer) > version_of(older)


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
    # state, events, escalation, counters after the batch, new state, transitions, index of the causing event
    (OPEN, [Ev(NOW)], None, {}, OPEN, [], []),
    (RESOLVED_EARLIER, [Ev(NOW)], None, {}, OPEN, ["regressed"], [0]),
    # A backlog received before the resolution does not reopen it, nor a late event stamped before it.
    (RESOLVED_EARLIER, [Ev(EARLIER - HOUR)], None, {}, RESOLVED_EARLIER, [], []),
    (RESOLVED_EARLIER, [Ev(NOW, stamped=EARLIER - HOUR)], None, {}, RESOLVED_EARLIER, [], []),
    (RESOLVED_EARLIER, [Ev(EARLIER - HOUR), Ev(NOW)], None, {}, OPEN, ["regressed"], [1]),
    # Resolved in 2.0: events of older releases are expected; 2.0 and newer regress.
    (RESOLVED_IN_2, [Ev(NOW, "1.9")], None, {}, RESOLVED_IN_2, [], []),
    (RESOLVED_IN_2, [Ev(NOW, "1.9"), Ev(NOW, "2.0")], None, {}, OPEN, ["regressed"], [1]),
    (RESOLVED_IN_2, [Ev(NOW, "1.10"), Ev(NOW, "2.0.1")], None, {}, OPEN, ["regressed"], [1]),
    (RESOLVED_IN_2, [Ev(NOW, "")], None, {}, RESOLVED_IN_2, [], []),
    # Resolved in the next release, 2.0 being the newest seen: 2.0 and older are expected, a newer one regresses.
    (RESOLVED_NEXT_AFTER_2, [Ev(NOW, "2.0"), Ev(NOW, "1.4"), Ev(NOW, "")], None, {}, RESOLVED_NEXT_AFTER_2, [], []),
    (RESOLVED_NEXT_AFTER_2, [Ev(NOW, "2.0"), Ev(NOW, "2.1rc1")], None, {}, OPEN, ["regressed"], [1]),
    (RESOLVED_NEXT_NONE_SEEN, [Ev(NOW, ""), Ev(NOW, "0.1")], None, {}, OPEN, ["regressed"], [1]),
    (MUTED_FOREVER, [Ev(NOW)], None, {}, MUTED_FOREVER, [], []),
    (MUTED_UNTIL_LATER, [Ev(NOW)], None, {}, MUTED_UNTIL_LATER, [], []),
    (MUTE_ENDED, [Ev(NOW), Ev(NOW)], None, {}, OPEN, ["unmuted"], [0]),
    (OPEN, [Ev(NOW)], ESCALATION, {}, OPEN, ["escalated"], [0]),
    (MUTED_UNTIL_LATER, [Ev(NOW)], ESCALATION, {}, OPEN, ["unmuted", "escalated"], [0, 0]),
    (MUTE_ENDED, [Ev(NOW)], ESCALATION, {}, OPEN, ["unmuted", "escalated"], [0, 0]),
    # Mutes until a volume: below it nothing; reached, unmuted and escalated (the alert an unmute by volume is).
    (COUNT_MUTE, [Ev(NOW)], None, {"times_seen": 109}, COUNT_MUTE, [], []),
    (COUNT_MUTE, [Ev(NOW), Ev(NOW)], None, {"times_seen": 110}, OPEN, ["unmuted", "escalated"], [0, 0]),
    (USERS_MUTE, [Ev(NOW)], None, {"users_seen": 24}, USERS_MUTE, [], []),
    (USERS_MUTE, [Ev(NOW)], None, {"users_seen": 25}, OPEN, ["unmuted", "escalated"], [0, 0]),
    (HOURLY_MUTE, [Ev(NOW)], None, {"events_last_hour": 99, "events_last_day": 5000}, HOURLY_MUTE, [], []),
    (HOURLY_MUTE, [Ev(NOW)], None, {"events_last_hour": 100}, OPEN, ["unmuted", "escalated"], [0, 0]),
    (DAILY_MUTE, [Ev(NOW)], None, {"events_last_hour": 999}, DAILY_MUTE, [], []),
    (DAILY_MUTE, [Ev(NOW)], None, {"events_last_day": 1000}, OPEN, ["unmuted", "escalated"], [0, 0]),
    # With re-arm, the unmute leaves a pending re-arm behind (its own row below: REARM_TABLE).
    (
        REARMING_MUTE,
        [Ev(NOW)],
        None,
        {"events_last_hour": 150},
        IssueState(
            rearm={
                "condition": {"kind": "rate", "threshold": 100, "window": "hour"},
                "below": 10,
                "quiet_hours": 24,
                "unmuted_at": NOW.isoformat(),
            }
        ),
        ["unmuted", "escalated"],
        [0, 0],
    ),
    # Events already on their way when the issue was discarded change nothing.
    (DISCARDED_STATE, [Ev(NOW)], None, {}, DISCARDED_STATE, [], []),
]


@pytest.mark.parametrize(
    ("state", "events", "escalation", "counters", "expected", "transitions", "caused_by"), EVENT_TABLE
)
def test_events(state, events, escalation, counters, expected, transitions, caused_by):
    outcome = lifecycle.on_events(state, events, NOW, escalation, lifecycle.Counters(**counters), by_version)
    assert outcome.state == expected
    assert kinds(outcome) == transitions
    assert [events.index(step.event) for step in outcome.steps] == caused_by


REARM_TABLE = [
    # state, now, busiest hour since the unmute, re-armed
    (PENDING_REARM, NOW, 9, True),
    (PENDING_REARM, NOW, 10, False),  # not quiet enough
    (PENDING_REARM, NOW - 2 * HOUR, 0, False),  # quiet, but not for 24 hours yet
    (OPEN, NOW, 0, False),  # nothing to re-arm
]


@pytest.mark.parametrize(("state", "now", "busiest", "rearmed"), REARM_TABLE)
def test_rearm(state, now, busiest, rearmed):
    outcome = lifecycle.rearm_due(state, now, busiest, lifecycle.Counters(times_seen=500))
    assert outcome.changed is rearmed
    if rearmed:
        (step,) = outcome.steps
        assert (step.kind, step.details["rearmed"]) == ("muted", True)
        assert outcome.state.status == MUTED and outcome.state.mute_condition == REARMING


def test_mutes_until_a_volume_or_a_moment_and_resolves_in_a_release():
    counters = lifecycle.Counters(times_seen=42, users_seen=7)
    count = lifecycle.act(OPEN, "mute", NOW, volume={"kind": "count", "threshold": 100}, counters=counters)
    assert count.state.mute_condition == {"kind": "count", "threshold": 100, "base": 42}
    users = lifecycle.act(OPEN, "mute", NOW, volume={"kind": "users", "threshold": 3}, counters=counters)
    assert users.state.mute_condition["base"] == 7
    until = lifecycle.act(OPEN, "mute", NOW, until=LATER)
    assert until.state == IssueState(MUTED, muted_until=LATER)
    in_release = lifecycle.act(OPEN, "resolve", NOW, in_release="shop@2.0")
    assert in_release.state.resolved_in_release == "shop@2.0"
    assert in_release.steps[0].details == {"in_release": "shop@2.0"}
    following = lifecycle.act(OPEN, "resolve", NOW, in_release="next", newest_release="1.4")
    assert following.state == IssueState(RESOLVED, resolved_at=NOW, resolved_after_release="1.4")
    # A person's action ends a pending re-arm.
    assert lifecycle.act(PENDING_REARM, "mute", NOW).state.rearm == {}


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"volume": {"kind": "count", "threshold": 0}}, "threshold is a whole number"),
        ({"volume": {"kind": "count", "threshold": "9"}}, "threshold is a whole number"),
        ({"volume": {"kind": "loud", "threshold": 9}}, "a volume mute is one of"),
        ({"volume": {"kind": "rate", "threshold": 9, "window": "week"}}, "window is one of"),
        (
            {
                "volume": {
                    "kind": "rate",
                    "threshold": 100,
                    "window": "hour",
                    "rearm_below": 200,
                    "rearm_quiet_hours": 2,
                }
            },
            "lower rate",
        ),
        ({"volume": {"kind": "count", "threshold": 9, "rearm_below": 1, "rearm_quiet_hours": 0}}, "quiet_hours"),
        ({"until": EARLIER}, "in the future"),
        ({"until": LATER, "volume": {"kind": "count", "threshold": 1}}, "not both"),
    ],
)
def test_bad_mute_options_are_refused(options, error):
    with pytest.raises(lifecycle.LifecycleError, match=error):
        lifecycle.act(OPEN, "mute", NOW, **options)


def test_a_resolve_in_a_release_longer_than_a_release_is_refused():
    with pytest.raises(lifecycle.LifecycleError, match="at most 250"):
        lifecycle.act(OPEN, "resolve", NOW, in_release="1" * 251)


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
        (COUNT_MUTE, False),  # a mute until a volume ends at its own threshold
    ],
)
def test_which_states_may_escalate(state, may):
    assert lifecycle.may_escalate(state) is may


def test_the_module_speaks_the_models_names():
    assert {UNRESOLVED, RESOLVED, MUTED, DISCARDED} == set(Issue.Status.values)
    kinds_written = {
        lifecycle.NEW,
        lifecycle.REGRESSED,
        lifecycle.UNMUTED,
        lifecycle.ESCALATED,
        lifecycle.UNDISCARDED,
        lifecycle.RECOVERED,
    }
    assert kinds_written | {RESOLVED, UNRESOLVED, MUTED, DISCARDED} == set(IssueTransition.Kind.values)


@pytest.mark.parametrize(
    ("state", "recovered"),
    [
        (OPEN, True),
        (RESOLVED_EARLIER, False),  # resolved by a person already
        (MUTED_FOREVER, False),  # a person's mute stands
        (DISCARDED_STATE, False),
    ],
)
def test_a_monitors_incident_recovers_by_itself_only_when_open(state, recovered):
    outcome = lifecycle.recover(state, NOW, outage_seconds=7500)
    if not recovered:
        assert outcome == lifecycle.Outcome(state)
        return
    assert outcome.state == IssueState(RESOLVED, resolved_at=NOW)
    assert [(step.kind, step.details) for step in outcome.steps] == [(lifecycle.RECOVERED, {"outage_seconds": 7500})]
