"""The issue state machine: every rule for how an issue's status changes, in one pure module.

A state (`IssueState`: the status columns of an Issue) and either a person's action (`act`) or a batch of new
events (`on_events`) go in; the new state and the transitions it took come out (`Outcome`). Nothing here reads or
writes the database: digest (issues/digest.py) and the triage service (issues/triage.py) load the state, call this
module, and write what it answers, with one IssueTransition row per transition, so that the UI, the API, digest
and notify agree on what happened.

The states and what moves an issue between them:

    unresolved --resolve--> resolved --event after the resolution (of the release it was resolved in)--> unresolved
                                                                                   (REGRESSED)
    unresolved/resolved --mute--> muted --its end passed, then an event--> unresolved (UNMUTED)
                                  muted for a while --escalation--> unresolved (UNMUTED, then ESCALATED)
    resolved --unresolve--> unresolved;  muted --unmute--> unresolved
    any other state --discard--> discarded --undiscard--> unresolved   (events meanwhile change nothing)

An action that would leave the issue where it is (resolving a resolved issue) changes nothing and writes no
transition, so repeating an action is harmless.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

RESOLVED = "resolved"
UNRESOLVED = "unresolved"
MUTED = "muted"
DISCARDED = "discarded"  # future events are dropped by an inbound filter on the issue's grouping keys

# Transition kinds (IssueTransition.Kind's values; notify/rules.py says which of them alert).
NEW = "new"
REGRESSED = "regressed"
UNMUTED = "unmuted"
ESCALATED = "escalated"
UNDISCARDED = "undiscarded"

# The durations a mute may be given, by the names forms and the API use; "forever" means until someone unmutes.
MUTE_DURATIONS = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "forever": None,
}


class LifecycleError(ValueError):
    """The action cannot be applied as asked (an unknown action or mute duration)."""


@dataclass(frozen=True)
class IssueState:
    status: str = UNRESOLVED
    resolved_at: datetime | None = None
    resolved_in_release: str = ""
    muted_until: datetime | None = None

    @classmethod
    def of(cls, row: dict) -> "IssueState":
        """The state of an Issue row read as a dict (with at least these fields)."""
        return cls(row["status"], row["resolved_at"], row["resolved_in_release"], row["muted_until"])

    def fields(self) -> dict:
        """The Issue columns this state is stored in."""
        return {
            "status": self.status,
            "resolved_at": self.resolved_at,
            "resolved_in_release": self.resolved_in_release,
            "muted_until": self.muted_until,
        }


OPEN = IssueState()


class EventFacts(Protocol):
    """What the rules look at of an event (digest's prepared events have these attributes)."""

    received_at: datetime
    release: str


@dataclass(frozen=True)
class Step:
    """One transition: its kind, what the history shows of it, and for digest's, the event that caused it."""

    kind: str
    details: dict
    event: EventFacts | None = None


@dataclass(frozen=True)
class Outcome:
    state: IssueState
    steps: tuple[Step, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.steps)


# --- a person's actions -------------------------------------------------------------------------------------------

ACTIONS = ("resolve", "unresolve", "mute", "unmute", "discard", "undiscard")


def act(state: IssueState, action: str, now: datetime, duration: str = "forever") -> Outcome:
    """Apply a person's `action` (one of ACTIONS; a mute lasts `duration`, a MUTE_DURATIONS name)."""
    if action not in ACTIONS:
        raise LifecycleError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if action == "discard":
        if state.status == DISCARDED:
            return Outcome(state)
        return Outcome(IssueState(DISCARDED), (Step(DISCARDED, {"was": state.status}),))
    if action == "undiscard":
        if state.status != DISCARDED:
            return Outcome(state)
        return Outcome(OPEN, (Step(UNDISCARDED, {}),))
    if state.status == DISCARDED:
        # Undo the discard first: resolving or muting an issue whose events are dropped would never end.
        return Outcome(state)
    if action == "resolve":
        if state.status == RESOLVED:
            return Outcome(state)
        return Outcome(IssueState(RESOLVED, resolved_at=now), (Step(RESOLVED, {}),))
    if action == "unresolve":
        if state.status != RESOLVED:
            return Outcome(state)
        return Outcome(OPEN, (Step(UNRESOLVED, {}),))
    if action == "mute":
        if duration not in MUTE_DURATIONS:
            raise LifecycleError(f"unknown mute duration {duration!r}; one of {', '.join(MUTE_DURATIONS)}")
        if state.status == MUTED:
            return Outcome(state)
        delta = MUTE_DURATIONS[duration]
        until = now + delta if delta else None
        return Outcome(
            IssueState(MUTED, muted_until=until),
            (Step(MUTED, {"muted_until": until.isoformat() if until else None}),),
        )
    # unmute
    if state.status != MUTED:
        return Outcome(state)
    return Outcome(OPEN, (Step(UNMUTED, {}),))


def check_action(action: str, duration: str = "forever") -> None:
    """Raise LifecycleError for an action or duration `act` would refuse, before anything is loaded."""
    act(OPEN, action, datetime.min, duration)


# --- digest: new events -------------------------------------------------------------------------------------------


def may_escalate(state: IssueState) -> bool:
    """Whether an issue in `state` can escalate at all: a resolved issue regresses instead (the stronger news), and
    a mute "forever" lasts until someone unmutes, and a discarded issue hears nothing. A mute for a while silences
    the usual noise, not a spike."""
    if state.status in (RESOLVED, DISCARDED):
        return False
    return not (state.status == MUTED and state.muted_until is None)


def on_events(state: IssueState, events: list, now: datetime, escalation: dict | None = None) -> Outcome:
    """What a batch of new `events` (EventFacts, in arrival order, at least one) does to an issue in `state`.

    `escalation`: the figures that made the issue escalate with this batch (issues/escalation.py), if it does.
    - resolved: the first event received after the resolution regresses it; with "resolved in release R" only
      events of R do (older releases are still expected to fail), and events received before the resolution (a
      backlog) never do;
    - muted until a time that has passed: the batch unmutes it;
    - escalating: a mute for a while ends (UNMUTED, marked escalated), then ESCALATED.
    """
    steps: list[Step] = []
    first = events[0]
    if state.status == DISCARDED:
        return Outcome(state)  # only events that were on their way when it was discarded
    if state.status == RESOLVED:
        regressing = [
            event
            for event in events
            if (state.resolved_at is None or event.received_at >= state.resolved_at)
            and (not state.resolved_in_release or event.release == state.resolved_in_release)
        ]
        if regressing:
            steps.append(Step(REGRESSED, {"resolved_in_release": state.resolved_in_release}, regressing[0]))
            state = OPEN
    elif state.status == MUTED and state.muted_until is not None and state.muted_until <= now:
        steps.append(Step(UNMUTED, {"muted_until": state.muted_until.isoformat()}, first))
        state = OPEN
    if escalation is not None:
        if state.status == MUTED:
            steps.append(Step(UNMUTED, {"muted_until": state.muted_until.isoformat(), "escalated": True}, first))
            state = OPEN
        steps.append(Step(ESCALATED, escalation, first))
    return Outcome(state, tuple(steps))
