"""The per-issue flood cap: past it an event is counted everywhere but not stored; the first event of each
release and environment, and events that transitions name, are stored all the same."""

import pytest
from django.db.models import Sum
from django.urls import reverse

from issues import triage
from issues.digest import digest_until_empty
from issues.models import Event, Issue, IssueHourlyCount, IssueMinuteCount, IssueTag, IssueTransition
from tests.frontend.factories import make_user

from .conftest import exception_event


@pytest.fixture
def member(team):
    return make_user(team)


pytestmark = pytest.mark.django_db


def test_past_the_cap_events_are_counted_but_not_stored(inbox, project):
    project.flood_cap_per_hour = 3
    project.save()
    for n in range(6):
        inbox(exception_event(release="1.0", environment="production", user={"id": f"u{n}"}, tags={"n": str(n)}))
    inbox(exception_event(release="1.1", environment="production"))  # a new release: stored past the cap
    inbox(exception_event(release="1.1", environment="staging"))  # a new environment: stored too

    result = digest_until_empty()

    issue = Issue.objects.get()
    assert (result.stored, result.flood_capped) == (8, 3)
    assert issue.times_seen == 8 and issue.users_seen == 6
    assert Event.objects.count() == 5
    assert IssueHourlyCount.objects.aggregate(count=Sum("count"), stored=Sum("stored")) == {"count": 8, "stored": 5}
    assert IssueMinuteCount.objects.aggregate(count=Sum("count"))["count"] == 8
    assert IssueTag.objects.filter(issue=issue, key="n").count() == 6
    assert IssueTag.objects.get(issue=issue, key="release", value="1.0").times_seen == 6
    stored = set(Event.objects.values_list("release", "environment"))
    assert stored == {("1.0", "production"), ("1.1", "production"), ("1.1", "staging")}

    inbox(exception_event(release="1.0", environment="production"))  # a later batch: the hour is full already
    assert digest_until_empty().flood_capped == 1
    assert Event.objects.count() == 5


def test_an_event_a_transition_names_is_stored_past_the_cap(inbox, project, member):
    project.flood_cap_per_hour = 1
    project.save()
    inbox(exception_event())
    digest_until_empty()
    issue = Issue.objects.get()
    triage.resolve_issues(Issue.objects.filter(pk=issue.pk), member)
    inbox(exception_event())
    digest_until_empty()
    regressed = IssueTransition.objects.get(kind="regressed")
    assert Event.objects.filter(event_id=regressed.event_id).exists()


def test_no_cap_stores_everything(inbox, project):
    project.flood_cap_per_hour = None
    project.save()
    for _ in range(5):
        inbox(exception_event())
    assert digest_until_empty().flood_capped == 0
    assert Event.objects.count() == 5


def test_the_issue_page_says_how_many_were_stored_and_the_settings_change_the_cap_and_auto_resolve(
    client, inbox, project, member
):
    project.flood_cap_per_hour = 2
    project.save()
    for _ in range(5):
        inbox(exception_event())
    digest_until_empty()
    client.force_login(member)
    page = client.get(reverse("issue", args=[Issue.objects.get().pk])).content.decode()
    assert "(2 stored; flood cap 2/hour)" in page

    url = reverse("update-noise-settings", args=[project.pk])
    assert client.post(url, {"flood_cap_per_hour": "250", "auto_resolve_days": "14"}).status_code == 302
    project.refresh_from_db()
    assert (project.flood_cap_per_hour, project.auto_resolve_days) == (250, 14)
    for bad in ("0", "-5", "lots", "1e9", "٣"):
        response = client.post(url, {"flood_cap_per_hour": bad})
        assert response.status_code == 400 and b"flood_cap_per_hour is a whole number from 1" in response.content
        response = client.post(url, {"auto_resolve_days": bad})
        assert response.status_code == 400 and b"auto_resolve_days is a whole number from 1" in response.content
    client.post(url, {"flood_cap_per_hour": "", "auto_resolve_days": ""})
    project.refresh_from_db()
    assert (project.flood_cap_per_hour, project.auto_resolve_days) == (None, None)
