"""An alert rule's settings, checked before they are stored: the pages' form and the API both call `clean_rule`.

`clean_rule(data)` takes the rule's fields already typed as the model holds them (lists of strings, integers or
None, strings) and answers them normalised, or raises a ValidationError whose message_dict names each wrong field
("triggers", "threshold", "window_minutes", "environments", "min_level", "release_glob", "tag_glob",
"logger_glob", "platform", "action_interval_minutes"). Which channels a rule may use is its project's business,
checked by the caller.
"""

from django.core.exceptions import ValidationError

from issues.normalize import LEVELS
from notify.models import AlertRule

Trigger = AlertRule.Trigger
FREQUENCY_TRIGGERS = (Trigger.EVENT_FREQUENCY, Trigger.USER_FREQUENCY)
STATE_TRIGGERS = (Trigger.NEW_ISSUE, Trigger.REGRESSION, Trigger.ESCALATION, Trigger.RECOVERY)

MIN_WINDOW_MINUTES = 1
MAX_WINDOW_MINUTES = 24 * 60
MAX_THRESHOLD = 1_000_000_000
MAX_ACTION_INTERVAL_MINUTES = 30 * 24 * 60
DEFAULT_ACTION_INTERVAL_MINUTES = 30
MAX_GLOB_LENGTH = 200
MAX_ENVIRONMENTS = 20
MAX_ENVIRONMENT_LENGTH = 64  # what digest keeps of an event's environment
MAX_PLATFORM_LENGTH = 64
GLOB_FIELDS = ("release_glob", "logger_glob", "tag_glob")


def _check_triggers(triggers: list[str], threshold: int | None, window: int | None, errors: dict) -> list[str]:
    chosen = list(dict.fromkeys(triggers))  # once each, in the order given
    unknown = [trigger for trigger in chosen if trigger not in Trigger.values]
    frequency = [trigger for trigger in chosen if trigger in FREQUENCY_TRIGGERS]
    if unknown:
        errors["triggers"] = f"Unknown trigger: {unknown[0]}."
    elif not chosen:
        errors["triggers"] = "Choose at least one trigger."
    elif len(frequency) > 1:
        errors["triggers"] = "Choose one frequency trigger per rule (make a second rule for the other)."
    elif frequency and len(chosen) > 1:
        errors["triggers"] = (
            "A frequency trigger stands alone: new issue, regression and escalation need a rule of their own."
        )
    if frequency:
        if threshold is None:
            errors["threshold"] = "A frequency trigger needs N: alert when more than N happen."
        elif not 1 <= threshold <= MAX_THRESHOLD:
            errors["threshold"] = f"N is a whole number from 1 to {MAX_THRESHOLD:,}."
        if window is None:
            errors["window_minutes"] = "A frequency trigger needs M, the window in minutes."
        elif not MIN_WINDOW_MINUTES <= window <= MAX_WINDOW_MINUTES:
            errors["window_minutes"] = f"M is from {MIN_WINDOW_MINUTES} minute to {MAX_WINDOW_MINUTES} (a day)."
    else:
        if threshold is not None:
            errors["threshold"] = "Only a frequency trigger takes N: leave it empty, or choose a frequency trigger."
        if window is not None:
            errors["window_minutes"] = (
                "Only a frequency trigger takes M: leave it empty, or choose a frequency trigger."
            )
    return chosen


def glob_error(value: str) -> str | None:
    """What is wrong with a filter's glob (`*` any run of characters, `?` one character, the rest literal)."""
    if len(value) > MAX_GLOB_LENGTH:
        return f"At most {MAX_GLOB_LENGTH} characters (this one has {len(value)})."
    if not value.isprintable():
        return "A pattern cannot hold line breaks or control characters."
    return None


def _check_tag_glob(value: str) -> str | None:
    if not value:
        return None
    key, colon, pattern = value.partition(":")
    if not colon or not key.strip():
        return "Write the tag filter as key:value, e.g. browser:Firefox* (the value may use * and ?)."
    if "*" in key or "?" in key:
        return "The tag's key is matched exactly: put * and ? in the value only."
    return None


def _check_environments(environments: list[str], errors: dict) -> list[str]:
    names = list(dict.fromkeys(name.strip() for name in environments if name.strip()))
    if len(names) > MAX_ENVIRONMENTS:
        errors["environments"] = f"At most {MAX_ENVIRONMENTS} environments."
    for name in names:
        if len(name) > MAX_ENVIRONMENT_LENGTH or not name.isprintable():
            errors["environments"] = f"An environment name has at most {MAX_ENVIRONMENT_LENGTH} printable characters."
    return names


def clean_rule(data: dict) -> dict:
    errors: dict[str, str] = {}
    cleaned = dict(data)
    cleaned["triggers"] = _check_triggers(
        list(data.get("triggers") or []), data.get("threshold"), data.get("window_minutes"), errors
    )
    cleaned["environments"] = _check_environments(list(data.get("environments") or []), errors)
    if data.get("min_level", "") not in ("", *LEVELS):
        errors["min_level"] = f"A level is one of {', '.join(LEVELS)}."
    for name in GLOB_FIELDS:
        cleaned[name] = (data.get(name) or "").strip()
        problem = glob_error(cleaned[name]) or (_check_tag_glob(cleaned[name]) if name == "tag_glob" else None)
        if problem:
            errors[name] = problem
    cleaned["platform"] = (data.get("platform") or "").strip()
    if len(cleaned["platform"]) > MAX_PLATFORM_LENGTH or not cleaned["platform"].isprintable():
        errors["platform"] = f"A platform name has at most {MAX_PLATFORM_LENGTH} printable characters."
    interval = data.get("action_interval_minutes", DEFAULT_ACTION_INTERVAL_MINUTES)
    if interval is None or not 1 <= interval <= MAX_ACTION_INTERVAL_MINUTES:
        errors["action_interval_minutes"] = f"From 1 minute to {MAX_ACTION_INTERVAL_MINUTES} (30 days)."
    if errors:
        raise ValidationError(errors)
    return cleaned
