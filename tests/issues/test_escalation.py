"""ESCALATED transitions (issues/escalation.py), through digest, with the default settings.

The defaults: at least 50 events in the current hour and at least 10 times the issue's usual hourly rate, for
an issue at least 24 hours old, at most once in 24 hours. The history below is 10 events an hour for 30 hours.
"""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from issues.digest import digest_until_empty
from issues.models import Issue, IssueTransition

from .conftest import exception_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def not_at_the_end_of_an_hour():
    """Each test puts events in the current clock hour: it must not roll over in the middle of one."""
    now = datetime.now(UTC)
    if now.minute == 59 and now.second >= 30:
        time.sleep(61 - now.second)


def send(inbox, count: int, *, hours_ago: float = 0, **event) -> None:
    timestamp = (timezone.now() - timedelta(hours=hours_ago)).timestamp()
    for _ in range(count):
        inbox(exception_event(timestamp=timestamp, **event))


def issue_with_steady_history(inbox, hours: int = 30, per_hour: int = 10) -> Issue:
    for hours_ago in range(hours, 0, -1):
        send(inbox, per_hour, hours_ago=hours_ago)
    digest_until_empty()
    return Issue.objects.get()


def kinds(issue) -> list[str]:
    return list(IssueTransition.objects.filter(issue=issue).order_by("id").values_list("kind", flat=True))


def test_steady_traffic_does_not_escalate(inbox):
    issue = issue_with_steady_history(inbox)
    for _ in range(3):
        send(inbox, 20)  # 60 this hour: above the minimum of 50, but 6 times the usual rate, not 10
        digest_until_empty()
    assert kinds(issue) == ["new"]


def test_a_spike_escalates_the_issue_exactly_once(inbox):
    issue = issue_with_steady_history(inbox)
    for _ in range(6):
        send(inbox, 40)  # 40, 80, 120 (10 times the usual: escalates), 160, 200, 240 this hour
        digest_until_empty()
    assert kinds(issue) == ["new", "escalated"]
    escalated = IssueTransition.objects.get(issue=issue, kind="escalated")
    assert escalated.details["events_this_hour"] == 120
    assert 9 <= escalated.details["usual_per_hour"] <= 10  # 300 events over the 30 or 31 hours it existed
    issue.refresh_from_db()
    assert (issue.status, issue.times_seen) == ("unresolved", 540)


def test_a_new_issue_first_burst_is_new_not_escalated(inbox):
    send(inbox, 300)
    digest_until_empty()
    send(inbox, 10, type_="KeyError", function="other", hours_ago=3)  # a few hours old: still no usual rate
    digest_until_empty()
    send(inbox, 300, type_="KeyError", function="other")
    digest_until_empty()
    assert sorted(IssueTransition.objects.values_list("kind", flat=True)) == ["new", "new"]


def test_a_spike_unmutes_an_issue_muted_for_a_while_but_not_one_muted_forever(inbox):
    issue_with_steady_history(inbox)
    send(inbox, 10, type_="KeyError", function="other", hours_ago=30)
    digest_until_empty()
    for_a_while, forever = Issue.objects.order_by("id")
    Issue.objects.filter(id=for_a_while.id).update(status="muted", muted_until=timezone.now() + timedelta(days=7))
    Issue.objects.filter(id=forever.id).update(status="muted", muted_until=None)

    send(inbox, 150)
    send(inbox, 150, type_="KeyError", function="other")
    digest_until_empty()

    for_a_while.refresh_from_db()
    forever.refresh_from_db()
    assert (for_a_while.status, for_a_while.muted_until) == ("unresolved", None)
    assert kinds(for_a_while) == ["new", "unmuted", "escalated"]
    assert IssueTransition.objects.get(issue=for_a_while, kind="unmuted").details["escalated"] is True
    assert forever.status == "muted"
    assert kinds(forever) == ["new"]
