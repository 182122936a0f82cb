"""Mutes until a volume or a moment, and resolves in a release, from the issue page's form and the API; each bad
option a 400 with its reason and nothing changed."""

import pytest
from django.urls import reverse

from issues import triage
from issues.models import Issue, IssueTransition
from tests.frontend.factories import make_event, make_issue

pytestmark = pytest.mark.django_db


def test_the_form_mutes_until_n_more_events_with_a_rearm(member_client, project):
    issue = make_issue(project, times_seen=40)
    response = member_client.post(
        reverse("triage-issue", args=[issue.pk]),
        {"action": "mute", "duration": "rate-hour", "threshold": "100", "rearm_below": "10", "rearm_quiet_hours": "24"},
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.mute_condition == {
        "kind": "rate",
        "threshold": 100,
        "window": "hour",
        "rearm": {"below": 10, "quiet_hours": 24},
    }
    page = member_client.get(reverse("issue", args=[issue.pk])).content.decode()
    assert "until 100 events in an hour (re-arms under 10/hour for 24 h)" in page


def test_the_form_resolves_in_the_next_release_and_the_api_in_a_chosen_one(member_client, project):
    first, second = make_issue(project), make_issue(project)
    member_client.post(reverse("triage-issue", args=[first.pk]), {"action": "resolve", "in_release": "next"})
    first.refresh_from_db()
    assert first.status == "resolved" and first.resolved_after_release == ""
    body = member_client.post(
        reverse("api-triage-issue", args=[second.pk]),
        {"action": "resolve", "in_release": "shop@3.1"},
        content_type="application/json",
    ).json()
    assert (body["status"], body["resolved_in_release"]) == ("resolved", "shop@3.1")


def test_the_api_mutes_until_a_moment_and_until_more_users(member_client, project):
    issue, other = make_issue(project, users_seen=3), make_issue(project)
    url = reverse("api-triage-issues")
    body = {"action": "mute", "duration": "until", "until": "2099-01-01T10:00:00Z", "issues": [issue.pk]}
    assert member_client.post(url, body, content_type="application/json").json() == {"changed": [issue.pk]}
    issue.refresh_from_db()
    assert issue.muted_until.year == 2099
    body = {"action": "mute", "duration": "users", "threshold": 5, "issues": [other.pk]}
    member_client.post(url, body, content_type="application/json")
    other.refresh_from_db()
    assert other.mute_condition == {"kind": "users", "threshold": 5, "base": 1}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"duration": "count"}, "threshold is a whole number"),
        ({"duration": "count", "threshold": "lots"}, "threshold is a whole number"),
        ({"duration": "until", "until": "next tuesday"}, "until is a date and time"),
        ({"duration": "until", "until": "2001-01-01T00:00"}, "in the future"),
        ({"duration": "until"}, "needs that moment"),
        ({"duration": "fortnight"}, "unknown mute duration"),
        (
            {"duration": "rate-hour", "threshold": "10", "rearm_below": "50", "rearm_quiet_hours": "5"},
            "lower rate",
        ),
    ],
)
def test_bad_mute_options_are_400s_with_a_reason(member_client, project, fields, reason):
    issue = make_issue(project)
    page = member_client.post(reverse("triage-issue", args=[issue.pk]), {"action": "mute", **fields})
    assert page.status_code == 400 and reason in page.content.decode()
    api = member_client.post(
        reverse("api-triage-issue", args=[issue.pk]), {"action": "mute", **fields}, content_type="application/json"
    )
    assert api.status_code == 400
    assert Issue.objects.get(pk=issue.pk).status == "unresolved" and not IssueTransition.objects.exists()


def test_a_release_name_too_long_is_refused(member_client, project):
    issue = make_issue(project)
    page = member_client.post(reverse("triage-issue", args=[issue.pk]), {"action": "resolve", "in_release": "9" * 300})
    assert page.status_code == 400 and b"at most 250" in page.content


def test_the_history_says_why_a_change_was_made(member_client, project, member):
    issue = make_issue(project)
    make_event(issue)
    triage.resolve_issues(Issue.objects.filter(pk=issue.pk), member, in_release="shop@3.1")
    triage.unresolve_issues(Issue.objects.filter(pk=issue.pk), member)
    triage.resolve_issues(Issue.objects.filter(pk=issue.pk), member, in_release="next")
    page = member_client.get(reverse("issue", args=[issue.pk])).content.decode()
    assert "(in release <bdi>shop@3.1</bdi>)" in page and "(in the next release)" in page
