"""What a delivery says: its Message, built from the alert (or the alerts a summary carries) when it is sent."""

from django.urls import reverse

from issues.models import Issue
from notify.messages import IssueSummary, Message
from notify.models import Alert, AlertRule, Delivery
from projects.options import option

LISTED_IN_A_SUMMARY = 10

HEADLINES = {
    AlertRule.Trigger.NEW_ISSUE: "New issue",
    AlertRule.Trigger.REGRESSION: "Regression",
    AlertRule.Trigger.ESCALATION: "Escalating",
}


def absolute(path: str) -> str:
    return option("BASE_URL") + path


def outage(seconds: int) -> str:
    """`2 h 5 min`, `12 min`, `40 s`: how long an outage lasted, to the minute past the first."""
    hours, minutes = divmod(seconds // 60, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else f"{seconds} s"


def headline(alert: Alert) -> str:
    if alert.trigger == AlertRule.Trigger.RECOVERY:
        return f"Recovered after {outage(alert.details.get('outage_seconds', 0))}"
    if alert.trigger in HEADLINES:
        return HEADLINES[alert.trigger]
    noun = "events" if alert.trigger == AlertRule.Trigger.EVENT_FREQUENCY else "users"
    return f"{alert.details.get('count', 0):,} {noun} in {alert.details.get('window_minutes', 0)} minutes"


def issue_summary(issue: Issue, facts: dict | None = None) -> IssueSummary:
    facts = facts or {}
    return IssueSummary(
        title=issue.title,
        culprit=issue.culprit,
        short_id=f"{issue.project.slug.upper()}-{issue.short_id}",
        level=issue.level,
        url=absolute(reverse("issue", args=[issue.pk])),
        times_seen=issue.times_seen,
        users_seen=issue.users_seen,
        environment=facts.get("environment") or "",
        release=facts.get("release") or "",
        issue_id=issue.pk,
    )


def compose(delivery: Delivery) -> Message:
    channel = delivery.channel
    project = channel.project
    common = {
        "kind": delivery.kind,
        "delivery_id": delivery.id.hex,
        "project_name": project.name,
        "project_slug": project.slug,
        "list_url": absolute(reverse("project-issues", args=[project.pk])),
    }
    if delivery.kind == Delivery.Kind.ALERT:
        alert = delivery.alert
        return Message(headline=headline(alert), issue=issue_summary(alert.issue, alert.details), **common)
    if delivery.kind == Delivery.Kind.TEST:
        return Message(headline="Test message: alerts of this channel arrive like this", **common)
    carried = Alert.objects.filter(deliveries__carried_by=delivery)
    total = carried.count()
    largest = (
        Issue.objects.filter(id__in=carried.values("issue_id"))
        .select_related("project")
        .order_by("-times_seen", "id")[:LISTED_IN_A_SUMMARY]
    )
    if delivery.kind == Delivery.Kind.HELD_NOTICE:
        what = f"{total:,} alert{'s' if total != 1 else ''} held back (over this channel's hourly limit)"
    elif not carried.exclude(trigger=AlertRule.Trigger.NEW_ISSUE).exists():
        what = f"{total:,} new issue{'s' if total != 1 else ''} in {project.name}"
    else:
        what = f"{total:,} alerts in {project.name}"
    return Message(headline=what, issues=[issue_summary(issue) for issue in largest], total=total, **common)
