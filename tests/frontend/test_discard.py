"""Discarding an issue: from its page (with the numbers first) or in bulk, an inbound filter on its grouping keys
that digest applies, the discarded state in the list, and the undo."""

import pytest
from django.urls import reverse

from issues import triage
from issues.digest import digest_until_empty
from issues.models import Event, InboundFilter, InboundFilterDailyCount, Issue, IssueTransition
from tests.frontend.factories import add_hourly, make_issue
from tests.issues.conftest import add_to_inbox, exception_event

pytestmark = pytest.mark.django_db


def digested_issue(project, **event):
    add_to_inbox(project, exception_event(**event))
    digest_until_empty()
    return Issue.objects.get(title=f"{event.get('type_', 'ValueError')}: {event.get('value', 'bad input')}")


def test_discard_from_the_issue_page_drops_its_future_events_and_undo_brings_them_back(member_client, project):
    issue = digested_issue(project)
    add_hourly(issue, 1, 41)
    confirm = member_client.get(reverse("discard-issue", args=[issue.pk])).content.decode()
    assert "would have been <strong>42</strong> events" in confirm

    response = member_client.post(reverse("triage-issue", args=[issue.pk]), {"action": "discard"})

    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == "discarded"
    rule = InboundFilter.objects.get(kind="issue")
    assert rule.issue_id == issue.pk
    assert IssueTransition.objects.filter(issue=issue, kind="discarded").count() == 1
    page = member_client.get(reverse("issue", args=[issue.pk])).content.decode()
    assert "Undo discard" in page

    add_to_inbox(project, exception_event())
    add_to_inbox(project, exception_event(type_="KeyError", value="other"))
    result = digest_until_empty()
    assert (result.stored, result.filtered) == (1, 1)
    issue.refresh_from_db()
    assert (issue.times_seen, Event.objects.filter(issue=issue).count()) == (1, 1)
    assert InboundFilterDailyCount.objects.get(inbound_filter=rule).count == 1

    member_client.post(reverse("triage-issue", args=[issue.pk]), {"action": "undiscard"})
    issue.refresh_from_db()
    assert issue.status == "unresolved" and not InboundFilter.objects.exists()
    add_to_inbox(project, exception_event())
    assert digest_until_empty().stored == 1
    issue.refresh_from_db()
    assert issue.times_seen == 2


def test_bulk_discard_and_the_status_filter_of_the_list(member_client, project):
    first, second, kept = (make_issue(project, title=title) for title in ("First", "Second", "Kept"))
    member_client.post(
        reverse("triage-issues"), {"action": "discard", "issue": [first.pk, second.pk], "next": "/issues/"}
    )
    assert set(InboundFilter.objects.values_list("issue_id", flat=True)) == {first.pk, second.pk}
    listed = member_client.get(reverse("project-issues", args=[project.pk]), {"status": "discarded"})
    titles = [issue.title for issue in listed.context["page"].issues]
    assert sorted(titles) == ["First", "Second"]
    default = member_client.get(reverse("project-issues", args=[project.pk]))
    assert [issue.title for issue in default.context["page"].issues] == ["Kept"]


def test_a_discarded_issue_filter_is_shown_but_not_changed_on_the_filters_page(member_client, project, member):
    issue = make_issue(project, title="<script>x</script>")
    triage.triage(Issue.objects.filter(pk=issue.pk), member, "discard")
    rule = InboundFilter.objects.get()
    page = member_client.get(reverse("project-filters", args=[project.pk])).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "undone on the issue" in page
    assert member_client.post(reverse("filter-delete", args=[project.pk, rule.pk])).status_code == 400
    api = reverse("api-filter", args=[project.pk, rule.pk])
    assert member_client.delete(api).status_code == 400
    created = member_client.post(
        reverse("api-filters", args=[project.pk]), {"kind": "issue"}, content_type="application/json"
    )
    assert created.status_code == 400
    assert InboundFilter.objects.count() == 1


def test_ten_thousand_issues_at_once_are_refused_with_a_reason(member_client, project):
    for action in ("mute", "discard"):
        page = member_client.post(reverse("triage-issues"), {"action": action, "issue": list(range(1, 502))})
        assert page.status_code == 400 and b"at most 500 issue ids" in page.content
        # Past Django's cap on form fields (1,000) the form is refused before it is read: a 400 all the same.
        member_client.raise_request_exception = False
        flood = member_client.post(reverse("triage-issues"), {"action": action, "issue": list(range(1, 10_001))})
        member_client.raise_request_exception = True
        assert flood.status_code == 400
        api = member_client.post(
            reverse("api-triage-issues"), {"action": action, "issues": list(range(1, 10_001))}, "application/json"
        )
        assert api.status_code == 400 and "no more than 500" in str(api.json())
