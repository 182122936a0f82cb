"""Which rules a transition (or a frequency firing) matches: the trigger, then the filters on its event.

Filters read the event as digest stored it (docs/event-format.md): environment, level, release, tags, logger,
platform. An event that is gone (deleted since) matches only rules without filters.
"""

from issues.glob import glob_match
from issues.models import IssueTransition
from issues.normalize import LEVELS
from notify.models import AlertRule

# The transitions that alert, and the trigger each one is. The others (a person's triage, a mute that ran out)
# tell no one: they are not news to the team.
TRIGGER_OF_TRANSITION = {
    IssueTransition.Kind.NEW: AlertRule.Trigger.NEW_ISSUE,
    IssueTransition.Kind.REGRESSED: AlertRule.Trigger.REGRESSION,
    IssueTransition.Kind.ESCALATED: AlertRule.Trigger.ESCALATION,
    IssueTransition.Kind.RECOVERED: AlertRule.Trigger.RECOVERY,
}
FREQUENCY_TRIGGERS = {AlertRule.Trigger.EVENT_FREQUENCY, AlertRule.Trigger.USER_FREQUENCY}


def has_filters(rule: AlertRule) -> bool:
    return bool(
        rule.environments or rule.min_level or rule.release_glob or rule.tag_glob or rule.logger_glob or rule.platform
    )


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def event_matches(rule: AlertRule, event: dict | None) -> bool:
    """Whether `event` (the stored event's data, None when it is gone) passes every filter of `rule`."""
    if not has_filters(rule):
        return True
    if event is None:
        return False
    if rule.environments and _text(event.get("environment")) not in rule.environments:
        return False
    if rule.min_level:
        level = _text(event.get("level"))
        if level not in LEVELS or LEVELS.index(level) > LEVELS.index(rule.min_level):
            return False
    if rule.release_glob and not glob_match(rule.release_glob, _text(event.get("release"))):
        return False
    if rule.logger_glob and not glob_match(rule.logger_glob, _text(event.get("logger"))):
        return False
    if rule.platform and _text(event.get("platform")) != rule.platform:
        return False
    if rule.tag_glob:
        key, _, value_glob = rule.tag_glob.partition(":")
        tags = event.get("tags") if isinstance(event.get("tags"), list) else []
        pairs = [pair for pair in tags if isinstance(pair, list | tuple) and len(pair) == 2]
        if not any(_text(k) == key and glob_match(value_glob, _text(v)) for k, v in pairs):
            return False
    return True
