"""Alert rows made directly (as notify's sender would leave them), so the alerts pages are tested on their own."""

from datetime import timedelta

from django.utils import timezone

from notify.models import Alert, AlertRule, Channel, Delivery
from tests.frontend.factories import make_issue

SLACK_URL = "https://hooks.slack.com/services/T000/B000/secret-part"


def make_channel(project, name="Ops Slack", kind=Channel.Kind.SLACK, config=None, **fields) -> Channel:
    if config is None:
        config = {
            Channel.Kind.EMAIL: {"to": "team"},
            Channel.Kind.APPRISE: {"urls": ["tgram://bot-token/chat"]},
        }.get(kind, {"url": SLACK_URL})
    return Channel.objects.create(project=project, name=name, kind=kind, config=config, **fields)


def make_rule(project, channels=(), name="New issues", **fields) -> AlertRule:
    values = {"triggers": [AlertRule.Trigger.NEW_ISSUE]}
    values.update(fields)
    rule = AlertRule.objects.create(project=project, name=name, **values)
    rule.channels.set(channels)
    return rule


def make_alert(rule, issue=None, trigger=AlertRule.Trigger.NEW_ISSUE) -> Alert:
    issue = issue or make_issue(rule.project)
    return Alert.objects.create(project=rule.project, rule=rule, issue=issue, trigger=trigger)


def make_delivery(channel, alert=None, minutes_ago=0, **fields) -> Delivery:
    created = timezone.now() - timedelta(minutes=minutes_ago)
    values = {"kind": Delivery.Kind.ALERT if alert else Delivery.Kind.TEST, "created_at": created}
    values.update(fields)
    return Delivery.objects.create(channel=channel, alert=alert, **values)
