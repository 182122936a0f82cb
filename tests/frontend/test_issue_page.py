from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from issues.models import IssueTransition
from tests.frontend.factories import add_hourly, add_tag, event_data, make_event, make_grouping, make_issue

pytestmark = pytest.mark.django_db


def test_shows_the_latest_event_with_frames_locals_breadcrumbs_and_request(member_client, project):
    issue = make_issue(project)
    make_event(issue, event_data(message="older one"), timestamp=timezone.now() - timedelta(hours=1))
    latest = make_event(issue, event_data(), timestamp=timezone.now())
    response = member_client.get(reverse("issue", args=[issue.pk]))
    assert response.status_code == 200
    assert response.context["event"] == latest
    html = response.content.decode()
    assert "ZeroDivisionError" in html and "division by zero" in html
    # The in-app frame is open with its failing line marked; the library frame stays collapsed.
    assert '<details class="frame in-app" open>' in html and '<details class="frame">' in html
    assert '<span class="line current"><span class="lineno">42</span><bdi>    return total / count</bdi></span>' in html
    assert "<th><bdi>count</bdi></th><td><pre><bdi>0</bdi></pre></td>" in html
    assert "SELECT * FROM cart" in html and "GET https://payments.example/ 503" in html
    assert '<a href="https://shop.example/cart/" rel="noopener noreferrer nofollow">' in html
    assert "User-Agent" in html and "ada@example.com" in html and "CPython" in html
    assert "older one" not in html


def test_older_and_newer_navigation_walks_the_events(member_client, project):
    issue = make_issue(project)
    now = timezone.now()
    first = make_event(issue, event_data(message="first"), timestamp=now - timedelta(minutes=2))
    # Same timestamp: the id orders them, so neither is skipped.
    second = make_event(issue, event_data(message="second"), timestamp=now - timedelta(minutes=1))
    third = make_event(issue, event_data(message="third"), timestamp=now - timedelta(minutes=1))
    latest = member_client.get(reverse("issue", args=[issue.pk]))
    assert latest.context["event"] == third
    assert latest.context["neighbours"] == {"newer": None, "older": second.pk, "newest": None, "oldest": first.pk}
    middle = member_client.get(reverse("issue-event", args=[issue.pk, second.pk]))
    assert "second" in middle.content.decode()
    assert middle.context["neighbours"]["older"] == first.pk and middle.context["neighbours"]["newer"] == third.pk


def test_tag_facets_histograms_grouping_and_notes(member_client, project):
    issue = make_issue(project, times_seen=10)
    make_event(
        issue,
        event_data(
            _meta={
                "notes": [{"path": "exception.values.0.stacktrace.frames", "note": "kept the newest 250 of 300 frames"}]
            }
        ),
    )
    make_grouping(issue, "exception type: ZeroDivisionError\nframe: shop.views.cart_total")
    add_tag(issue, "browser", "Firefox", 7)
    add_tag(issue, "browser", "Chrome", 3)
    for i in range(8):
        add_tag(issue, "server", f"web-{i}", i + 1)
    add_hourly(issue, 0, 4)
    add_hourly(issue, 3, 6)
    add_hourly(issue, 24 * 10, 50)
    IssueTransition.objects.create(project=project, issue=issue, kind=IssueTransition.Kind.NEW)
    response = member_client.get(reverse("issue", args=[issue.pk]))
    facets = {facet["key"]: facet["values"] for facet in response.context["facets"]}
    assert [(v["value"], v["share"]) for v in facets["browser"]] == [("Firefox", 70), ("Chrome", 30)]
    assert [v["value"] for v in facets["server"]] == ["web-7", "web-6", "web-5", "web-4", "web-3"]  # top five
    html = response.content.decode()
    assert 'aria-label="10 events"' in html  # the 24-hour histogram
    assert 'aria-label="60 events"' in html  # the 30-day histogram
    assert "frame: shop.views.cart_total" in html
    assert "kept the newest 250 of 300 frames" in html
    assert "new" in response.context["history"][0].kind


def test_message_event_without_exception(member_client, project):
    issue = make_issue(project, title="User %s not found")
    make_event(
        issue,
        event_data(
            exception={"values": []},
            message="User 42 not found",
            logentry={"message": "User %s not found", "params": ["42"]},
        ),
    )
    html = member_client.get(reverse("issue", args=[issue.pk])).content.decode()
    assert "User 42 not found" in html and "<code><bdi>User %s not found</bdi></code>" in html


def test_a_message_sent_with_a_synthetic_exception_shows_its_text_once(member_client, project):
    issue = make_issue(project, title="Stock report is late")
    sent = event_data(platform="javascript", message="Stock report is late")
    exception = sent["exception"]["values"][0]
    exception.update(type="", value="Stock report is late", mechanism={"type": "generic", "synthetic": True})
    make_event(issue, sent)
    html = member_client.get(reverse("issue", args=[issue.pk])).content.decode()
    assert html.count("Stock report is late</bdi></pre>") == 1  # the message, not the exception's value again
    assert "<h2>Stack trace</h2>" in html and 'class="exc-type"' not in html
    assert "return total / count" in html  # the stack it carried


@pytest.mark.parametrize(
    "broken",
    [
        {"exception": "oops"},
        {"exception": {"values": [{"stacktrace": {"frames": [None, {"lineno": "x", "vars": [1]}]}}]}},
        {"breadcrumbs": {"values": [1, "a", None]}},
        {"request": {"headers": [["a", "b"]], "url": 5}},
        {"user": None, "tags": [["only-key"], "x", None], "contexts": {"os": "linux"}},
        {"_meta": {"notes": "none"}},
    ],
)
def test_a_malformed_stored_event_still_renders(member_client, project, broken):
    issue = make_issue(project)
    make_event(issue, event_data(**broken))
    assert member_client.get(reverse("issue", args=[issue.pk])).status_code == 200


def test_issue_without_events(member_client, project):
    issue = make_issue(project)
    response = member_client.get(reverse("issue", args=[issue.pk]))
    assert response.status_code == 200 and b"no stored events" in response.content


def test_first_and_last_seen_are_worded_as_in_the_lists(member_client, project):
    issue = make_issue(project, first_seen=timezone.now() - timedelta(hours=3, minutes=12))
    content = member_client.get(reverse("issue", args=[issue.pk])).content.decode()
    assert ">3 hours ago</time>" in content and ">just now</time>" in content
    assert "minutes ago" not in content


def test_project_settings_shows_dsn_and_both_snippets(member_client, project, project_key):
    html = member_client.get(reverse("project-settings", args=[project.pk])).content.decode()
    assert f'<code id="dsn">{project_key.dsn}</code>' in html
    assert '"class": "tracehound.Handler",' in html.replace("&quot;", '"')
    assert f'dsn="{project_key.dsn}"' in html.replace("&quot;", '"') and "sentry_sdk.init(" in html
    assert 'data-copy="dsn"' in html


def test_api_lists_issues_and_shows_an_issue_with_its_latest_event(member_client, project):
    issue = make_issue(project, title="KeyError")
    event = make_event(issue)
    listing = member_client.get(reverse("api-issues"), {"project": project.pk, "q": "keyerror"}).json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == issue.pk
    detail = member_client.get(reverse("api-issue", args=[issue.pk])).json()
    assert detail["latest_event"]["id"] == event.pk
    assert detail["latest_event"]["data"]["exception"]["values"][0]["type"] == "ZeroDivisionError"
    one = member_client.get(reverse("api-event", args=[issue.pk, event.pk])).json()
    assert one["event_id"] == event.event_id.hex
