"""Mutes until a volume, re-arm, release-aware resolve and auto-resolve, through digest, the triage service and
the sweep, on the test database."""

from datetime import timedelta

import pytest
from django.utils import timezone

from issues import triage
from issues.digest import digest_until_empty
from issues.lifecycle import NEXT_RELEASE
from issues.models import Issue, IssueHourlyCount, IssueTransition
from notify.rules import TRIGGER_OF_TRANSITION
from tests.frontend.factories import make_user

from .conftest import exception_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(team):
    return make_user(team)


def one_issue(inbox, **event) -> Issue:
    inbox(exception_event(**event))
    digest_until_empty()
    return Issue.objects.get()


def kinds(issue) -> list[str]:
    return list(IssueTransition.objects.filter(issue=issue).order_by("id").values_list("kind", flat=True))


def test_a_mute_until_n_more_events_unmutes_by_volume_and_that_alerts(inbox, member):
    issue = one_issue(inbox)
    triage.mute_issues(Issue.objects.filter(pk=issue.pk), member, volume={"kind": "count", "threshold": 3})
    for _ in range(2):
        inbox(exception_event())
    digest_until_empty()
    issue.refresh_from_db()
    assert issue.status == "muted"
    inbox(exception_event())
    digest_until_empty()
    issue.refresh_from_db()
    assert issue.status == "unresolved" and issue.mute_condition == {}
    assert kinds(issue) == ["new", "muted", "unmuted", "escalated"]
    escalated = IssueTransition.objects.get(issue=issue, kind="escalated")
    assert escalated.details == {"mute_condition": {"kind": "count", "threshold": 3, "base": 1}}
    assert escalated.kind in TRIGGER_OF_TRANSITION  # an unmute by volume alerts (the escalation trigger)


def test_a_mute_until_n_events_in_an_hour_then_rearms_after_a_quiet_day(inbox, member):
    issue = one_issue(inbox)
    volume = {"kind": "rate", "threshold": 4, "window": "hour", "rearm_below": 2, "rearm_quiet_hours": 24}
    triage.mute_issues(Issue.objects.filter(pk=issue.pk), member, volume=volume)
    for _ in range(4):
        inbox(exception_event())
    digest_until_empty()
    issue.refresh_from_db()
    assert issue.status == "unresolved" and issue.rearm["below"] == 2

    assert triage.rearm_quiet_issues() == []  # not quiet for 24 hours yet
    later = timezone.now() + timedelta(hours=25)
    IssueHourlyCount.objects.create(
        project_id=issue.project_id, issue=issue, hour=(later - timedelta(hours=3)).replace(minute=0), count=5
    )
    assert triage.rearm_quiet_issues(now=later) == []  # an hour of 5 events: not under 2 an hour
    IssueHourlyCount.objects.filter(count=5).update(count=1)
    assert triage.rearm_quiet_issues(now=later) == [issue.pk]
    issue.refresh_from_db()
    assert issue.status == "muted" and issue.mute_condition["kind"] == "rate" and issue.rearm == {}
    rearmed = IssueTransition.objects.filter(issue=issue).order_by("-id").first()
    assert (rearmed.kind, rearmed.actor, rearmed.details["rearmed"]) == ("muted", None, True)
    assert kinds(issue) == ["new", "muted", "unmuted", "escalated", "muted"]  # the history shows both steps
    assert rearmed.kind not in TRIGGER_OF_TRANSITION  # a re-arm alerts no one


def test_resolved_in_a_release_older_releases_do_not_regress_newer_do(inbox, member):
    issue = one_issue(inbox, release="shop@1.9.0")
    triage.resolve_issues(Issue.objects.filter(pk=issue.pk), member, in_release="shop@2.0.0")
    inbox(exception_event(release="shop@1.9.0"))
    inbox(exception_event(release="shop@1.10.0"))
    digest_until_empty()
    issue.refresh_from_db()
    assert issue.status == "resolved"
    inbox(exception_event(release="shop@2.0.1"))
    digest_until_empty()
    issue.refresh_from_db()
    assert issue.status == "unresolved"
    assert IssueTransition.objects.get(issue=issue, kind="regressed").release == "shop@2.0.1"


def test_resolved_in_the_next_release_with_releases_that_are_not_versions(inbox, member):
    """Commit hashes do not parse as versions: the order is the one the project first saw them in."""
    issue = one_issue(inbox, release="a1b2c3d")
    inbox(exception_event(release="e4f5a6b"))
    digest_until_empty()
    triage.resolve_issues(Issue.objects.filter(pk=issue.pk), member, in_release=NEXT_RELEASE)
    issue.refresh_from_db()
    assert issue.resolved_after_release == "e4f5a6b"  # the newest seen
    inbox(exception_event(release="a1b2c3d"))
    inbox(exception_event(release="e4f5a6b"))
    digest_until_empty()
    issue.refresh_from_db()
    assert issue.status == "resolved"
    inbox(exception_event(release="0badc0de"))  # a release seen for the first time: the next one
    digest_until_empty()
    issue.refresh_from_db()
    assert issue.status == "unresolved"


def test_an_event_stamped_before_the_resolution_is_not_a_regression(inbox, member):
    issue = one_issue(inbox)
    triage.resolve_issues(Issue.objects.filter(pk=issue.pk), member)
    inbox(exception_event(timestamp=(timezone.now() - timedelta(minutes=5)).isoformat()))
    digest_until_empty()
    issue.refresh_from_db()
    assert issue.status == "resolved" and issue.times_seen == 2


def test_auto_resolve_after_quiet_days_is_off_by_default_and_alerts_no_one(inbox, project):
    issue = one_issue(inbox)
    Issue.objects.filter(pk=issue.pk).update(last_seen=timezone.now() - timedelta(days=4))
    assert triage.auto_resolve_stale_issues() == []
    project.auto_resolve_days = 5
    project.save()
    assert triage.auto_resolve_stale_issues() == []
    project.auto_resolve_days = 3
    project.save()
    assert triage.auto_resolve_stale_issues() == [issue.pk]
    issue.refresh_from_db()
    resolved = IssueTransition.objects.get(issue=issue, kind="resolved")
    assert issue.status == "resolved" and resolved.actor is None
    assert resolved.details == {"auto_resolved_after_days": 3}
    assert resolved.kind not in TRIGGER_OF_TRANSITION
