"""Alert rules and channels in words, as the alerts pages show them."""

from urllib.parse import urlsplit

from notify.models import AlertRule, Channel

Trigger = AlertRule.Trigger

TRIGGER_WORDS = {
    Trigger.NEW_ISSUE: "a new issue",
    Trigger.REGRESSION: "a regression",
    Trigger.ESCALATION: "an escalation",
    Trigger.RECOVERY: "a monitor's recovery",
}
# What fired an alert, in a delivery's row.
TRIGGER_NAMES = {
    Trigger.NEW_ISSUE: "new issue",
    Trigger.REGRESSION: "regression",
    Trigger.ESCALATION: "escalation",
    Trigger.RECOVERY: "recovery",
    Trigger.EVENT_FREQUENCY: "event frequency",
    Trigger.USER_FREQUENCY: "user frequency",
}


def minutes_in_words(minutes: int | None) -> str:
    """90 -> "90 minutes", 120 -> "2 hours", 1440 -> "1 day": the largest unit that divides it evenly."""
    if not minutes:
        return ""
    for size, unit in ((1440, "day"), (60, "hour"), (1, "minute")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
    return f"{minutes} minutes"  # not reached: every number is a whole count of minutes


def trigger_words(rule: AlertRule) -> str:
    """ "a new issue or a regression", or "more than 100 events in 5 minutes" (for one issue)."""
    window = minutes_in_words(rule.window_minutes)
    if Trigger.EVENT_FREQUENCY in rule.triggers:
        return f"more than {rule.threshold} events of one issue in {window}"
    if Trigger.USER_FREQUENCY in rule.triggers:
        return f"more than {rule.threshold} distinct users of one issue in {window}"
    words = [
        TRIGGER_WORDS[trigger] for trigger in Trigger.values if trigger in rule.triggers and trigger in TRIGGER_WORDS
    ]
    if len(words) > 1:
        return ", ".join(words[:-1]) + " or " + words[-1]
    return words[0] if words else "nothing"


def filter_words(rule: AlertRule) -> list[tuple[str, str]]:
    """The rule's filters as (what, value) pairs; empty when every event matches."""
    filters = []
    if rule.environments:
        filters.append(("environment", " or ".join(rule.environments)))
    if rule.min_level:
        filters.append(("level", f"{rule.min_level} or worse"))
    for label, value in (
        ("release", rule.release_glob),
        ("tag", rule.tag_glob),
        ("logger", rule.logger_glob),
        ("platform", rule.platform),
    ):
        if value:
            filters.append((label, value))
    return filters


def destination(channel: Channel, reveal: bool) -> str:
    """Where a channel sends. A webhook URL is a credential (whoever has it can post), so only those who may change
    the channel see it whole; the others see its host."""
    config = channel.config if isinstance(channel.config, dict) else {}
    if channel.kind == Channel.Kind.EMAIL:
        if config.get("to") == "team":
            return "the members of the project's teams"
        return ", ".join(str(address) for address in config.get("addresses") or [])
    if channel.kind == Channel.Kind.APPRISE:
        urls = [str(url) for url in config.get("urls") or []]
        return "\n".join(urls) if reveal else ", ".join(url.split("://", 1)[0] + "://…" for url in urls)
    url = str(config.get("url") or "")
    if reveal:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return f"{parts.scheme}://{parts.hostname}/…" if parts.hostname else ""


def redacted_config(channel: Channel) -> dict:
    """The channel's config as a member who may not change it sees it (the API's counterpart of `destination`)."""
    config = dict(channel.config) if isinstance(channel.config, dict) else {}
    if "url" in config:
        config["url"] = destination(channel, reveal=False)
    if "urls" in config:
        config["urls"] = [str(url).split("://", 1)[0] + "://…" for url in config.get("urls") or []]
    return config
