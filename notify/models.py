"""Alerts: the rules that decide when an issue is worth telling someone about, the channels that tell them, and
one row per message, so that each alert is delivered once and its fate can be shown.

The flow (DESIGN.md, data flow step 5):
- digest (or a frequency check) commits IssueTransition rows; notify reads them, marks each as handled
  (`HandledTransition`, unique, so two workers never both act on one), and for every active rule of the project
  that the transition matches, records an `Alert` (one per rule and transition, or per rule and frequency firing);
- each alert gets one `Delivery` per channel of its rule (unique per alert and channel), which the sender claims,
  sends outside any transaction, and records the outcome of: sent, retried later, or failed with the reason;
- deliveries a channel cannot send one by one (a storm, the hourly cap) are folded into one summary or "held back"
  delivery (`Delivery.carried_by`), so nothing is dropped without a trace.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from issues.models import Issue, IssueTransition
from projects.models import Project


def new_signing_secret() -> str:
    return secrets.token_hex(32)


class Channel(models.Model):
    """Where a project's alerts go. `config` holds the kind's settings (notify/channel_config.py validates them):

    - email: {"to": "team"} (the members of the project's teams who did not turn alerts off) or
      {"to": "addresses", "addresses": ["ops@example.com", ...]};
    - slack, discord, webhook: {"url": "https://..."};
    - apprise: {"urls": ["tgram://...", ...]} (staff only: Apprise resolves hosts itself, beyond the SSRF guard).
    """

    class Kind(models.TextChoices):
        EMAIL = "email"
        SLACK = "slack"
        DISCORD = "discord"
        WEBHOOK = "webhook"
        APPRISE = "apprise"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alert_channels")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    config = models.JSONField(default=dict)
    # Webhooks sign their body with it (X-Tracehound-Signature); never shown after creation except to admins.
    signing_secret = models.CharField(max_length=64, default=new_signing_secret)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    # The outcome of the latest send, shown on the channel page ("404 from hooks.slack.com: ...").
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} ({self.kind})"


class AlertRule(models.Model):
    """When to alert, about which events, how often at most, and through which channels.

    Triggers: any of new issue, regression, escalation (transitions that digest writes), or exactly one of the
    frequency triggers, which fire when one issue has more than `threshold` events (or distinct users) within the
    last `window_minutes`. Filters look at the event that caused the transition (for a frequency trigger: the
    issue's latest event); an empty filter matches everything.
    """

    class Trigger(models.TextChoices):
        NEW_ISSUE = "new_issue", "A new issue"
        REGRESSION = "regression", "A resolved issue regresses"
        ESCALATION = "escalation", "An issue escalates (a spike; it also ends a mute for a while)"
        RECOVERY = "recovery", "A monitor's incident recovers by itself"
        EVENT_FREQUENCY = "event_frequency", "More than N events in M minutes"
        USER_FREQUENCY = "user_frequency", "More than N distinct users in M minutes"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=100)
    triggers = models.JSONField(default=list)  # Trigger values
    threshold = models.PositiveIntegerField(null=True, blank=True)  # N of a frequency trigger
    window_minutes = models.PositiveIntegerField(null=True, blank=True)  # M of a frequency trigger, 1 to 1440
    environments = models.JSONField(default=list, blank=True)  # any of these; empty: any environment
    min_level = models.CharField(max_length=16, blank=True, default="")
    release_glob = models.CharField(max_length=200, blank=True, default="")
    tag_glob = models.CharField(max_length=200, blank=True, default="")  # "key:value glob"
    logger_glob = models.CharField(max_length=200, blank=True, default="")
    platform = models.CharField(max_length=64, blank=True, default="")
    # An issue alerts this rule at most once per interval (Sentry's "action interval").
    action_interval_minutes = models.PositiveIntegerField(default=30)
    channels = models.ManyToManyField(Channel, related_name="rules", blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.name


class RuleIssueState(models.Model):
    """When an issue last alerted a rule, and until when it stays quiet (its action interval): written by one
    conditional upsert, which is how two workers firing at once agree (notify/evaluate.py)."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="+")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    last_fired_at = models.DateTimeField()
    quiet_until = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "issue"], name="one_state_per_rule_issue")]


class HandledTransition(models.Model):
    """A transition notify has evaluated against the rules: inserted in the transaction that records its alerts,
    so that a transition is acted on exactly once whichever worker (or sweep) gets to it."""

    transition = models.OneToOneField(IssueTransition, on_delete=models.CASCADE, primary_key=True, related_name="+")
    handled_at = models.DateTimeField(default=timezone.now)


class Alert(models.Model):
    """A rule fired for an issue: because of a transition, or because of its frequency at `created_at`."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    transition = models.ForeignKey(IssueTransition, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    trigger = models.CharField(max_length=32, choices=AlertRule.Trigger.choices)
    details = models.JSONField(default=dict, blank=True)  # e.g. the count and window of a frequency firing
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "transition"],
                condition=models.Q(transition__isnull=False),
                name="one_alert_per_rule_transition",
            )
        ]


class Delivery(models.Model):
    """One message to one channel: an alert, a summary of a storm's alerts, a "held back" notice, or a test."""

    class Kind(models.TextChoices):
        ALERT = "alert"
        SUMMARY = "summary"
        HELD_NOTICE = "held_notice"
        TEST = "test"

    class Status(models.TextChoices):
        PENDING = "pending"  # waiting for its first or next attempt (next_attempt_at)
        SENDING = "sending"  # claimed by a sender until lease_until
        SENT = "sent"
        FAILED = "failed"  # gave up: a 4xx, a refused address, or the last retry failed (last_error says which)
        SUMMARIZED = "summarized"  # carried by a summary (carried_by), sent in a storm
        HELD = "held"  # over the channel's hourly cap: waits for the "held back" notice (carried_by once sent)

    # The stable id receivers get (X-Tracehound-Delivery) to drop a message they already have.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ALERT)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    carried_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="carries")
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the message was first sent (or tried): what the storm and hourly limits count.
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "channel"], condition=models.Q(alert__isnull=False), name="one_delivery_per_alert"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["channel", "-created_at"], name="delivery_of_channel"),
            models.Index(fields=["channel", "first_attempt_at"], name="delivery_sends_of_channel"),
        ]


class AlertOptOut(models.Model):
    """A member who turned off the email alerts of a project (account page)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "project"], name="one_opt_out_per_user_project")]
