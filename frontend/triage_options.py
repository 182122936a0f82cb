"""The options of a mute or a resolve as the triage forms and the API send them, turned into the triage service's
(issues/triage.py). The state machine decides what is valid (issues/lifecycle.py); this only reads the fields.

Form fields: `duration` (1h, 24h, 7d, forever; or `until`, `count`, `users`, `rate-hour`, `rate-day`), `until`
(a date and time, UTC), `threshold`, `rearm_below`, `rearm_quiet_hours`; and for a resolve `in_release` (empty:
now, `next`: the next release, else the release's name).
"""

from datetime import UTC, datetime

from issues.lifecycle import MUTE_DURATIONS, LifecycleError

VOLUME_DURATIONS = {
    "count": ("count", None),
    "users": ("users", None),
    "rate-hour": ("rate", "hour"),
    "rate-day": ("rate", "day"),
}
DURATIONS = [*MUTE_DURATIONS, "until", *VOLUME_DURATIONS]


def _number(data, name: str) -> int | None:
    text = str(data.get(name) or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise LifecycleError(f"{name} is a whole number")
    return int(text)


def _moment(value) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise LifecycleError("until is a date and time such as 2026-12-31T09:00") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def triage_options(action: str, data) -> tuple[str, dict]:
    """(duration, options) for triage.triage from form or API `data`; LifecycleError for what cannot be read."""
    duration = data.get("duration") or "forever"
    if duration not in DURATIONS:
        raise LifecycleError(f"unknown mute duration {duration!r}; one of {', '.join(DURATIONS)}")
    options: dict = {}
    if action == "resolve":
        options["in_release"] = str(data.get("in_release") or "")
    if action != "mute":
        return "forever", options
    if duration == "until":
        if not data.get("until"):
            raise LifecycleError("a mute until a moment needs that moment")
        options["until"] = _moment(data["until"])
        return "forever", options
    if duration in VOLUME_DURATIONS:
        kind, window = VOLUME_DURATIONS[duration]
        volume = {"kind": kind, "threshold": _number(data, "threshold")}
        if window:
            volume["window"] = window
        below = _number(data, "rearm_below")
        if below is not None:
            volume["rearm_below"] = below
            volume["rearm_quiet_hours"] = _number(data, "rearm_quiet_hours")
        options["volume"] = volume
        return "forever", options
    return duration, options
