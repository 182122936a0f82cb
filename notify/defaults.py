"""Every new project starts with alerts on: its team gets an email for each new issue and each regression."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from notify.models import AlertRule, Channel
from projects.models import Project

DEFAULT_CHANNEL_NAME = "Team email"
DEFAULT_RULE_NAME = "New issues and regressions"


def create_default_alerts(project: Project) -> AlertRule:
    with transaction.atomic():
        channel = Channel.objects.create(
            project=project, name=DEFAULT_CHANNEL_NAME, kind=Channel.Kind.EMAIL, config={"to": "team"}
        )
        rule = AlertRule.objects.create(
            project=project,
            name=DEFAULT_RULE_NAME,
            triggers=[AlertRule.Trigger.NEW_ISSUE, AlertRule.Trigger.REGRESSION],
        )
        rule.channels.add(channel)
    return rule


@receiver(post_save, sender=Project)
def alerts_for_a_new_project(sender, instance, created, raw=False, **kwargs):
    if created and not raw:  # not for fixtures being loaded
        create_default_alerts(instance)
