"""The issue state machine: every rule for how an issue's status changes, in one pure module.

A state (`IssueState`: the status columns of an Issue) and either a person's action (`act`), a batch of new
events (`on_events`) or a periodic check (`rearm_due`) go in; the new state and the transitions it took come out
(`Outcome`). Nothing here reads or writes the database: digest (issues/digest.py), the triage service
(issues/triage.py) and the sweep (issues/sweep.py) load the state and the counts, call this module, and write what
it answers, with one IssueTransition row per transition, so that the UI, the API, digest and notify agree.

The states and what moves an issue between them:

    unresolved --resolve--> resolved --a later event (of a release at least as new as it was resolved in)-->
                                        unresolved (REGRESSED)
    unresolved/resolved --mute--> muted --its end passed, then an event--> unresolved (UNMUTED)
                                  muted for a while --escalation--> unresolved (UNMUTED, then ESCALATED)
                                  muted until a volume (N more events, N in an hour/day, N more users) --reached-->
                                        unresolved (UNMUTED, then ESCALATED: the volume is the news), and with
                                        re-arm, back to muted (MUTED, by no one) once it stays under a lower rate
    resolved --unresolve--> unresolved;  muted --unmute--> unresolved
    any other state --discard--> discarded --undiscard--> unresolved   (events meanwhile change nothing)
    unresolved --its monitor recovered--> resolved (RECOVERED, by no one; a muted or resolved incident stays)

An action that would leave the issue where it is (resolving a resolved issue) changes nothing and writes no
transition, so repeating an action is harmless. A person's action also ends a pending re-arm.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
RECOVERED = "recovered"  # a monitor's incident resolved because its check passes again (issues/incidents.py)

# The durations a mute may be given, by the names forms and the API use; "forever" means until someone unmutes.
MUTE_DURATIONS = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "forever": None,
}
# Mutes until a volume: N more events, N more distinct users, N events within an hour or a day.
VOLUME_KINDS = ("count", "users", "rate")
RATE_WINDOWS = ("hour", "day")
MAX_THRESHOLD = 10**9
MAX_QUIET_HOURS = 24 * 30
NEXT_RELEASE = "next"  # resolve "in the next release"


class LifecycleError(ValueError):
    """The action cannot be applied as asked (an unknown action, a bad mute or resolve option)."""


@dataclass(frozen=True)
class IssueState:
    status: str = UNRESOLVED
    resolved_at: datetime | None = None
    # Resolved in release R: only events of R or a newer release regress (older releases still fail).
    resolved_in_release: str = ""
    # Resolved in the next release: only events of a release newer than this one (the newest seen then; "" when
    # none was) regress. None: not resolved so.
    resolved_after_release: str | None = None
    muted_until: datetime | None = None
    # A mute until a volume: {"kind": "count"|"users"|"rate", "threshold": N, "base": the count at the mute,
    # "window": "hour"|"day" (rate), "rearm": {"below": per hour, "quiet_hours": h} (optional)}.
    mute_condition: dict = field(default_factory=dict, hash=False)
    # After an unmute by volume with re-arm: {"condition": the mute's, "below", "quiet_hours", "unmuted_at"}.
    rearm: dict = field(default_factory=dict, hash=False)

    @classmethod
    def of(cls, row: dict) -> "IssueState":
        """The state of an Issue row read as a dict (with at least these fields)."""
        return cls(**{name: row[name] for name in STATE_FIELDS})

    def fields(self) -> dict:
        """The Issue columns this state is stored in."""
        return {name: getattr(self, name) for name in STATE_FIELDS}


STATE_FIELDS = (
    "status",
    "resolved_at",
    "resolved_in_release",
    "resolved_after_release",
    "muted_until",
    "mute_condition",
    "rearm",
)
OPEN = IssueState()


@dataclass(frozen=True)
class Counters:
    """The issue's counts the rules compare with (after the batch, for digest)."""

    times_seen: int = 0
    users_seen: int = 0
    events_last_hour: int = 0
    events_last_day: int = 0


class EventFacts(Protocol):
    """What the rules look at of an event (digest's prepared events have these attributes)."""

    received_at: datetime
    timestamp: datetime
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


def _positive(options: dict, name: str, limit: int = MAX_THRESHOLD) -> int:
    value = options.get(name)
    if type(value) is not int or not 1 <= value <= limit:
        raise LifecycleError(f"{name} is a whole number from 1 to {limit:,}")
    return value


def mute_condition(options: dict, counters: Counters) -> dict:
    """The stored condition of a mute until a volume (options: kind, threshold, window, rearm_below,
    rearm_quiet_hours), with its base taken from `counters`; LifecycleError for a bad one."""
    kind = options.get("kind")
    if kind not in VOLUME_KINDS:
        raise LifecycleError(f"a volume mute is one of {', '.join(VOLUME_KINDS)}")
    condition = {"kind": kind, "threshold": _positive(options, "threshold")}
    if kind == "count":
        condition["base"] = counters.times_seen
    elif kind == "users":
        condition["base"] = counters.users_seen
    else:
        if options.get("window") not in RATE_WINDOWS:
            raise LifecycleError(f"a rate's window is one of {', '.join(RATE_WINDOWS)}")
        condition["window"] = options["window"]
    if options.get("rearm_below") is not None:
        below = _positive(options, "rearm_below")
        quiet = _positive(options, "rearm_quiet_hours", MAX_QUIET_HOURS)
        if kind == "rate" and below * (24 if condition["window"] == "day" else 1) > condition["threshold"]:
            raise LifecycleError("re-arm below a lower rate than the one that unmutes")
        condition["rearm"] = {"below": below, "quiet_hours": quiet}
    return condition


def check_action(action: str, duration: str = "forever", now: datetime | None = None, **options) -> None:
    """Raise LifecycleError for an action or option `act` would refuse at `now` (the clock's, by default), before
    anything is loaded."""
    act(OPEN, action, now or datetime.now(UTC), duration, **options)


def act(
    state: IssueState,
    action: str,
    now: datetime,
    duration: str = "forever",
    *,
    until: datetime | None = None,
    volume: dict | None = None,
    in_release: str = "",
    newest_release: str = "",
    counters: Counters = Counters(),  # noqa: B008  (immutable)
    reason: dict | None = None,
) -> Outcome:
    """Apply a person's `action` (one of ACTIONS), or the sweep's (an auto-resolve, with `reason`).

    A mute lasts `duration` (a MUTE_DURATIONS name), or `until` a moment, or until a `volume` (see
    mute_condition). A resolve may be `in_release` R, or NEXT_RELEASE: after `newest_release`, the newest seen."""
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
        return _resolve(state, now, in_release, newest_release, reason)
    if action == "unresolve":
        if state.status != RESOLVED:
            return Outcome(state)
        return Outcome(OPEN, (Step(UNRESOLVED, {}),))
    if action == "mute":
        return _mute(state, now, duration, until, volume, counters)
    # unmute
    if state.status != MUTED:
        return Outcome(state)
    return Outcome(OPEN, (Step(UNMUTED, {}),))


def _resolve(state, now, in_release: str, newest_release: str, reason: dict | None) -> Outcome:
    in_release = in_release.strip()
    if len(in_release) > 250:
        raise LifecycleError("a release has at most 250 characters")
    if state.status == RESOLVED:
        return Outcome(state)
    details = dict(reason or {})
    if in_release == NEXT_RELEASE:
        resolved = IssueState(RESOLVED, resolved_at=now, resolved_after_release=newest_release)
        details["in_next_release_after"] = newest_release
    else:
        resolved = IssueState(RESOLVED, resolved_at=now, resolved_in_release=in_release)
        if in_release:
            details["in_release"] = in_release
    return Outcome(resolved, (Step(RESOLVED, details),))


def recover(state: IssueState, now: datetime, outage_seconds: int) -> Outcome:
    """A monitor's incident whose check passes again (R times in a row) resolves by itself, saying how long the
    outage lasted; only an open one: a person's mute or resolve stands."""
    if state.status != UNRESOLVED:
        return Outcome(state)
    return Outcome(IssueState(RESOLVED, resolved_at=now), (Step(RECOVERED, {"outage_seconds": outage_seconds}),))


def _mute(state, now, duration: str, until: datetime | None, volume: dict | None, counters: Counters) -> Outcome:
    if duration not in MUTE_DURATIONS:
        raise LifecycleError(f"unknown mute duration {duration!r}; one of {', '.join(MUTE_DURATIONS)}")
    if until is not None and volume is not None:
        raise LifecycleError("a mute lasts until a moment or until a volume, not both")
    if until is not None and until <= now:
        raise LifecycleError("a mute's end is in the future")
    condition = mute_condition(volume, counters) if volume is not None else {}
    if state.status == MUTED:
        return Outcome(state)
    if until is None and not condition:
        delta = MUTE_DURATIONS[duration]
        until = now + delta if delta else None
    details = {"muted_until": until.isoformat() if until else None}
    if condition:
        details["condition"] = condition
    return Outcome(IssueState(MUTED, muted_until=until, mute_condition=condition), (Step(MUTED, details),))


# --- digest: new events -------------------------------------------------------------------------------------------


def may_escalate(state: IssueState) -> bool:
    """Whether an issue in `state` can escalate at all: a resolved issue regresses instead (the stronger news), a
    mute "forever" lasts until someone unmutes, a mute until a volume ends at its own threshold, and a discarded
    issue hears nothing. A mute for a while silences the usual noise, not a spike."""
    if state.status in (RESOLVED, DISCARDED):
        return False
    return not (state.status == MUTED and (state.muted_until is None or state.mute_condition))


def _regresses(state: IssueState, event, is_newer: Callable[[str, str], bool]) -> bool:
    """Whether `event` reopens a resolved issue: not one from before the resolution (received before it, a
    backlog; or stamped before it, a late delivery), nor one of a release older than the fix."""
    if state.resolved_at is not None and (event.received_at < state.resolved_at or event.timestamp < state.resolved_at):
        return False
    if state.resolved_in_release:
        release = state.resolved_in_release
        return event.release == release or (bool(event.release) and is_newer(event.release, release))
    if state.resolved_after_release is not None:
        after = state.resolved_after_release
        return bool(event.release) and event.release != after and (not after or is_newer(event.release, after))
    return True


def volume_reached(condition: dict, counters: Counters) -> bool:
    if condition["kind"] == "count":
        return counters.times_seen >= condition["base"] + condition["threshold"]
    if condition["kind"] == "users":
        return counters.users_seen >= condition["base"] + condition["threshold"]
    seen = counters.events_last_hour if condition["window"] == "hour" else counters.events_last_day
    return seen >= condition["threshold"]


def on_events(
    state: IssueState,
    events: list,
    now: datetime,
    escalation: dict | None = None,
    counters: Counters = Counters(),  # noqa: B008  (immutable)
    is_newer: Callable[[str, str], bool] = lambda newer, older: False,
) -> Outcome:
    """What a batch of new `events` (EventFacts, in arrival order, at least one) does to an issue in `state`.

    `escalation`: the figures that made the issue escalate with this batch (issues/escalation.py), if it does;
    `counters`: the issue's counts with this batch; `is_newer(a, b)`: whether release a is newer than release b.
    - resolved: the first event that regresses it (see _regresses) reopens it;
    - muted until a time that has passed: the batch unmutes it;
    - muted until a volume that the batch reaches: unmuted and escalated (with re-arm, a pending re-arm);
    - escalating: a mute for a while ends (UNMUTED, marked escalated), then ESCALATED.
    """
    steps: list[Step] = []
    first = events[0]
    if state.status == DISCARDED:
        return Outcome(state)  # only events that were on their way when it was discarded
    if state.status == RESOLVED:
        regressing = [event for event in events if _regresses(state, event, is_newer)]
        if regressing:
            details = {"resolved_in_release": state.resolved_in_release}
            if state.resolved_after_release is not None:
                details["resolved_after_release"] = state.resolved_after_release
            steps.append(Step(REGRESSED, details, regressing[0]))
            state = OPEN
    elif state.status == MUTED and state.mute_condition:
        condition = state.mute_condition
        if volume_reached(condition, counters):
            steps.append(Step(UNMUTED, {"condition": condition, "by_volume": True}, first))
            steps.append(Step(ESCALATED, escalation or {"mute_condition": condition}, first))
            rearm = {}
            if condition.get("rearm"):
                rearm = {
                    "condition": {key: value for key, value in condition.items() if key not in ("base", "rearm")},
                    **condition["rearm"],
                    "unmuted_at": now.isoformat(),
                }
            return Outcome(IssueState(rearm=rearm), tuple(steps))
    elif state.status == MUTED and state.muted_until is not None and state.muted_until <= now:
        steps.append(Step(UNMUTED, {"muted_until": state.muted_until.isoformat()}, first))
        state = OPEN
    if escalation is not None:
        if state.status == MUTED:
            steps.append(Step(UNMUTED, {"muted_until": state.muted_until.isoformat(), "escalated": True}, first))
            state = OPEN
        steps.append(Step(ESCALATED, escalation, first))
    return Outcome(state, tuple(steps))


# --- the sweep: re-arm --------------------------------------------------------------------------------------------


def rearm_due(state: IssueState, now: datetime, busiest_hour: int, counters: Counters) -> Outcome:
    """Whether an issue unmuted by volume goes back to its mute: once `quiet_hours` have passed since the unmute
    and its busiest hour since then (`busiest_hour`, events) stayed under `below`. The new mute counts from now."""
    rearm = state.rearm
    if state.status != UNRESOLVED or not rearm:
        return Outcome(state)
    quiet_since = datetime.fromisoformat(rearm["unmuted_at"])
    if now - quiet_since < timedelta(hours=rearm["quiet_hours"]) or busiest_hour >= rearm["below"]:
        return Outcome(state)
    options = {**rearm["condition"], "rearm_below": rearm["below"], "rearm_quiet_hours": rearm["quiet_hours"]}
    condition = mute_condition(options, counters)
    details = {"muted_until": None, "condition": condition, "rearmed": True}
    return Outcome(IssueState(MUTED, mute_condition=condition), (Step(MUTED, details),))
