"""From digest's transitions and frequencies to alerts: which rules fire, once, within their action interval."""

from datetime import timedelta

import pytest
from django.utils import timezone

from issues import triage
from issues.digest import digest_until_empty
from issues.models import Issue, IssueMinuteCount, IssueTransition
from notify.defaults import DEFAULT_RULE_NAME
from notify.evaluate import check_frequencies, handle_transitions
from notify.models import Alert, AlertRule, Channel, Delivery, HandledTransition, RuleIssueState
from projects.services import create_project
from tests.frontend.factories import make_user

from ..issues.conftest import add_to_inbox, exception_event

pytestmark = pytest.mark.django_db


def digest(project, **event) -> Issue:
    """One event through digest; its issue."""
    add_to_inbox(project, exception_event(**event))
    digest_until_empty()
    return Issue.objects.filter(project=project).order_by("-last_seen", "-id").first()


def rule_for(project, name="rule", triggers=("new_issue",), channels=1, **fields) -> AlertRule:
    rule = AlertRule.objects.create(project=project, name=name, triggers=list(triggers), **fields)
    for n in range(channels):
        channel = Channel.objects.create(
            project=project, name=f"{name}-{n}", kind="webhook", config={"url": "https://hooks.example/x"}
        )
        rule.channels.add(channel)
    return rule


def alerts_of(rule) -> list[tuple[str, int]]:
    return list(Alert.objects.filter(rule=rule).order_by("id").values_list("trigger", "issue_id"))


@pytest.fixture
def member(team):
    return make_user(team, "ada")


@pytest.fixture
def quiet_project(team):
    """A project without its default rule, so each test sees only the rules it makes."""
    project, _ = create_project(team, "Shop backend")
    AlertRule.objects.filter(project=project).delete()
    return project


def test_a_new_project_emails_its_team_on_new_issues_and_regressions(team):
    project, _ = create_project(team, "Fresh")
    rule = AlertRule.objects.get(project=project)
    assert (rule.name, sorted(rule.triggers), rule.action_interval_minutes) == (
        DEFAULT_RULE_NAME,
        ["new_issue", "regression"],
        30,
    )
    [channel] = rule.channels.all()
    assert (channel.kind, channel.config) == ("email", {"to": "team"})

    issue = digest(project)
    assert handle_transitions() == 1
    [delivery] = Delivery.objects.filter(channel=channel)
    assert (delivery.alert.issue, delivery.alert.trigger, delivery.status) == (issue, "new_issue", "pending")


def test_each_transition_is_alerted_once_however_often_it_is_handled(quiet_project):
    rule = rule_for(quiet_project, channels=2)
    digest(quiet_project)
    assert handle_transitions() == 1
    assert handle_transitions() == 0
    transition = IssueTransition.objects.get(kind="new")
    assert handle_transitions([transition.id]) == 0
    assert len(alerts_of(rule)) == 1
    assert Delivery.objects.filter(alert__rule=rule).count() == 2  # one per channel


def test_a_transition_nobody_announced_is_found_by_the_sweep(quiet_project):
    # A worker killed between digest's commit and the wake-up: the transition is committed, nothing was signalled.
    rule = rule_for(quiet_project)
    issue = digest(quiet_project)
    assert not HandledTransition.objects.exists()
    assert handle_transitions() == 1
    assert alerts_of(rule) == [("new_issue", issue.id)]


def test_transitions_older_than_the_sweep_horizon_are_history(quiet_project, settings):
    rule = rule_for(quiet_project)
    digest(quiet_project)
    IssueTransition.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert handle_transitions() == 0
    assert alerts_of(rule) == []


def test_only_new_regressed_and_escalated_alert_never_a_persons_triage(quiet_project, member):
    rule = rule_for(quiet_project, triggers=["new_issue", "regression", "escalation"])
    issue = digest(quiet_project)
    handle_transitions()
    issues = Issue.objects.filter(pk=issue.pk)
    triage.mute_issues(issues, member, "1h")
    triage.unmute_issues(issues, member)
    triage.resolve_issues(issues, member)
    handle_transitions()
    assert alerts_of(rule) == [("new_issue", issue.id)]
    digest(quiet_project)  # after the resolution: a regression
    handle_transitions()
    # Within the action interval of the new issue's alert: the regression is recorded but tells no one.
    assert alerts_of(rule) == [("new_issue", issue.id)]
    assert IssueTransition.objects.filter(issue=issue, kind="regressed").exists()


def test_an_issue_alerts_a_rule_once_per_action_interval(quiet_project, member):
    rule = rule_for(quiet_project, triggers=["new_issue", "regression"], action_interval_minutes=30)
    issue = digest(quiet_project)
    handle_transitions()
    issues = Issue.objects.filter(pk=issue.pk)
    RuleIssueState.objects.update(quiet_until=timezone.now() - timedelta(minutes=1))  # the interval passed
    triage.resolve_issues(issues, member)
    digest(quiet_project)
    handle_transitions()
    assert alerts_of(rule) == [("new_issue", issue.id), ("regression", issue.id)]


@pytest.mark.parametrize(
    ("filters", "event", "fires"),
    [
        ({"environments": ["production"]}, {"environment": "production"}, True),
        ({"environments": ["production"]}, {"environment": "staging"}, False),
        ({"environments": ["production", "staging"]}, {"environment": "staging"}, True),
        ({"min_level": "error"}, {"level": "fatal"}, True),
        ({"min_level": "error"}, {"level": "warning"}, False),
        ({"release_glob": "shop@2.*"}, {"release": "shop@2.4.1"}, True),
        ({"release_glob": "shop@2.*"}, {"release": "shop@1.9"}, False),
        ({"tag_glob": "browser:Fire*"}, {"tags": {"browser": "Firefox"}}, True),
        ({"tag_glob": "browser:Fire*"}, {"tags": {"browser": "Chrome"}}, False),
        ({"tag_glob": "browser:*"}, {"tags": {"os": "Linux"}}, False),
        ({"logger_glob": "shop.*"}, {"logger": "shop.views"}, True),
        ({"logger_glob": "shop.*"}, {"logger": "django.request"}, False),
        ({"platform": "python"}, {"platform": "python"}, True),
        ({"platform": "javascript"}, {"platform": "python"}, False),
        ({"environments": ["production"], "min_level": "error"}, {"environment": "production", "level": "info"}, False),
    ],
)
def test_filters_look_at_the_event_that_caused_the_transition(quiet_project, filters, event, fires):
    rule = rule_for(quiet_project, **filters)
    issue = digest(quiet_project, **event)
    handle_transitions()
    assert alerts_of(rule) == ([("new_issue", issue.id)] if fires else [])


def test_the_alert_keeps_the_environment_and_release_of_its_event(quiet_project):
    rule = rule_for(quiet_project)
    digest(quiet_project, environment="production", release="shop@3.1")
    handle_transitions()
    assert Alert.objects.get(rule=rule).details == {"environment": "production", "release": "shop@3.1"}


def test_inactive_rules_and_channels_send_nothing(quiet_project):
    off = rule_for(quiet_project, name="off", is_active=False)
    on = rule_for(quiet_project, name="on", channels=2)
    Channel.objects.filter(name="on-1").update(is_active=False)
    digest(quiet_project)
    handle_transitions()
    assert alerts_of(off) == []
    assert list(Delivery.objects.filter(alert__rule=on).values_list("channel__name", flat=True)) == ["on-0"]


def burst(project, count: int, **event) -> Issue:
    for n in range(count):
        add_to_inbox(project, exception_event(**event, user={"id": f"user-{n % 7}"}))
    digest_until_empty()
    return Issue.objects.filter(project=project).order_by("-last_seen").first()


def test_more_than_n_events_in_m_minutes_fires_once_per_interval(quiet_project):
    rule = rule_for(quiet_project, triggers=["event_frequency"], threshold=10, window_minutes=5)
    issue = burst(quiet_project, 10)
    assert check_frequencies() == 0  # 10 is not more than 10
    burst(quiet_project, 1)
    assert check_frequencies() == 1
    [alert] = Alert.objects.filter(rule=rule)
    assert (alert.issue_id, alert.trigger, alert.details["count"], alert.details["window_minutes"]) == (
        issue.id,
        "event_frequency",
        11,
        5,
    )
    burst(quiet_project, 20)
    assert check_frequencies() == 0  # within the action interval


def test_events_outside_the_window_do_not_count(quiet_project):
    rule_for(quiet_project, triggers=["event_frequency"], threshold=10, window_minutes=5)
    burst(quiet_project, 8)
    later = timezone.now() + timedelta(minutes=5)
    IssueMinuteCount.objects.update(minute=(later - timedelta(minutes=6)).replace(second=0, microsecond=0))
    burst(quiet_project, 8)
    IssueMinuteCount.objects.filter(minute__gte=timezone.now() - timedelta(minutes=1)).update(
        minute=later.replace(second=0, microsecond=0)
    )
    assert check_frequencies(later) == 0  # 8 in the window, 8 before it


def test_more_than_n_users_in_m_minutes_counts_distinct_users(quiet_project):
    rule = rule_for(quiet_project, triggers=["user_frequency"], threshold=6, window_minutes=60)
    burst(quiet_project, 30)  # 30 events of 7 distinct users
    assert check_frequencies() == 1
    assert Alert.objects.get(rule=rule).details["count"] == 7
    rule_for(quiet_project, name="eight", triggers=["user_frequency"], threshold=7, window_minutes=60)
    burst(quiet_project, 30)
    assert Alert.objects.filter(rule__name="eight").count() == 0


def test_muted_and_resolved_issues_raise_no_frequency_alert(quiet_project, member):
    rule = rule_for(quiet_project, triggers=["event_frequency"], threshold=3, window_minutes=10)
    issue = burst(quiet_project, 5)
    triage.mute_issues(Issue.objects.filter(pk=issue.pk), member, "forever")
    assert check_frequencies() == 0
    triage.unmute_issues(Issue.objects.filter(pk=issue.pk), member)
    triage.resolve_issues(Issue.objects.filter(pk=issue.pk), member)
    assert check_frequencies() == 0
    assert alerts_of(rule) == []


def test_an_escalation_alerts_even_when_it_ends_a_mute_for_a_while_but_a_mute_that_ran_out_does_not(
    quiet_project, member, settings
):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "ESCALATION_MIN_EVENTS": 5}
    rule = rule_for(quiet_project, triggers=["escalation"])
    day_old = (timezone.now() - timedelta(hours=30)).timestamp()
    issue = digest(quiet_project, timestamp=day_old)
    triage.mute_issues(Issue.objects.filter(pk=issue.pk), member, "7d")
    burst(quiet_project, 6)  # a spike: the mute ends (unmuted), the issue escalates
    assert list(IssueTransition.objects.filter(issue=issue).order_by("id").values_list("kind", flat=True))[-2:] == [
        "unmuted",
        "escalated",
    ]
    handle_transitions()
    assert alerts_of(rule) == [("escalation", issue.id)]

    other = digest(quiet_project, type_="OtherError", timestamp=day_old)
    triage.mute_issues(Issue.objects.filter(pk=other.pk), member, "1h")
    Issue.objects.filter(pk=other.pk).update(muted_until=timezone.now() - timedelta(minutes=1))
    digest(quiet_project, type_="OtherError")  # the first event after the mute's end: unmuted, not news
    assert IssueTransition.objects.filter(issue=other, kind="unmuted").exists()
    handle_transitions()
    assert alerts_of(rule) == [("escalation", issue.id)]


def test_an_unmute_by_volume_alerts_and_a_rearm_an_auto_resolve_or_a_discard_alert_no_one(quiet_project, member):
    rule = rule_for(quiet_project, triggers=("escalation", "regression"))
    issue = digest(quiet_project)
    handle_transitions()
    volume = {"kind": "count", "threshold": 2, "rearm_below": 5, "rearm_quiet_hours": 1}
    triage.mute_issues(Issue.objects.filter(pk=issue.pk), member, volume=volume)
    digest(quiet_project)
    digest(quiet_project)  # the second more event: unmuted by volume
    handle_transitions()
    assert alerts_of(rule) == [("escalation", issue.pk)]

    later = timezone.now() + timedelta(hours=2)
    assert triage.rearm_quiet_issues(now=later) == [issue.pk]
    quiet_project.auto_resolve_days = 1
    quiet_project.save()
    triage.unmute_issues(Issue.objects.filter(pk=issue.pk), member)
    Issue.objects.filter(pk=issue.pk).update(last_seen=timezone.now() - timedelta(days=2))
    assert triage.auto_resolve_stale_issues() == [issue.pk]
    triage.triage(Issue.objects.filter(pk=issue.pk), member, "discard")
    handle_transitions()
    assert len(alerts_of(rule)) == 1
    assert list(IssueTransition.objects.filter(issue=issue).order_by("id").values_list("kind", flat=True)) == [
        "new",
        "muted",
        "unmuted",
        "escalated",
        "muted",
        "unmuted",
        "resolved",
        "discarded",
    ]
