from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from frontend.listing import PAGE_SIZE
from issues.digest import digest_until_empty
from issues.models import Issue
from tests.frontend.factories import add_hourly, add_tag, make_issue

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[int]:
    return [issue.pk for issue in response.context["page"].issues]


def test_list_shows_the_columns_of_each_issue(member_client, project):
    issue = make_issue(
        project, title="KeyError: 'sku'", culprit="shop.cart in add", times_seen=1234, users_seen=56, last_release="2.0"
    )
    add_hourly(issue, 0, 7)
    add_hourly(issue, 5, 3)
    add_hourly(issue, 30, 100)  # older than 24 h: not in the sparkline
    response = member_client.get(reverse("project-issues", args=[project.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "KeyError: &#x27;sku&#x27;" in html and "shop.cart in add" in html
    assert "1,234" in html and ">56<" in html and "2.0" in html
    assert f"BACKEND-{issue.short_id}" in html
    assert 'aria-label="10 events in the last 24 hours"' in html
    assert '<span id="issue-count">1</span>' in html


def test_sorts_order_by_their_counter_descending(member_client, project):
    now = timezone.now()
    old_busy = make_issue(
        project, last_seen=now - timedelta(hours=3), first_seen=now - timedelta(days=9), times_seen=500, users_seen=1
    )
    new_quiet = make_issue(project, last_seen=now, first_seen=now - timedelta(days=1), times_seen=2, users_seen=9)
    url = reverse("project-issues", args=[project.pk])
    assert rows_of(member_client.get(url)) == [new_quiet.pk, old_busy.pk]
    assert rows_of(member_client.get(url, {"sort": "times_seen"})) == [old_busy.pk, new_quiet.pk]
    assert rows_of(member_client.get(url, {"sort": "users"})) == [new_quiet.pk, old_busy.pk]
    assert rows_of(member_client.get(url, {"sort": "first_seen"})) == [new_quiet.pk, old_busy.pk]
    # An unknown sort falls back to last seen instead of failing.
    assert rows_of(member_client.get(url, {"sort": "password"})) == [new_quiet.pk, old_busy.pk]


def test_filters_by_level_environment_release_and_status(member_client, project):
    error = make_issue(project, level="error", last_release="1.0")
    warning = make_issue(project, level="warning", last_release="2.0", first_release="2.0")
    resolved = make_issue(project, level="error", status=Issue.Status.RESOLVED)
    add_tag(error, "environment", "production")
    add_tag(warning, "environment", "staging")
    add_tag(warning, "release", "1.5")
    add_tag(warning, "release", "2.0")
    add_tag(error, "release", "1.0")
    url = reverse("project-issues", args=[project.pk])
    assert set(rows_of(member_client.get(url))) == {error.pk, warning.pk}  # default: is:unresolved
    assert rows_of(member_client.get(url, {"level": "warning"})) == [warning.pk]
    assert rows_of(member_client.get(url, {"environment": "production"})) == [error.pk]
    assert rows_of(member_client.get(url, {"release": "1.5"})) == [warning.pk]  # seen in 1.5 (tag facet)
    assert rows_of(member_client.get(url, {"release": "1.0"})) == [error.pk]
    assert set(rows_of(member_client.get(url, {"q": "release:1.5 release:1.0"}))) == {error.pk, warning.pk}
    assert rows_of(member_client.get(url, {"q": "is:resolved"})) == [resolved.pk]
    assert set(rows_of(member_client.get(url, {"q": ""}))) == {error.pk, warning.pk, resolved.pk}
    response = member_client.get(url, {"q": "level:error environment:production"})
    assert rows_of(response) == [error.pk] and response.context["page"].total == 1


def test_counts_stop_at_the_cap(member_client, project, monkeypatch):
    monkeypatch.setattr("frontend.listing.COUNT_CAP", 3)
    for _ in range(4):
        make_issue(project)
    url = reverse("project-issues", args=[project.pk])
    response = member_client.get(url)
    assert '<span id="issue-count">3+</span>' in response.content.decode()
    assert response.context["page"].total == 4  # counting stopped one past the cap
    make_issue(project, status=Issue.Status.RESOLVED)
    assert member_client.get(url, {"q": "is:resolved"}).context["page"].total == 1


def test_free_text_searches_title_culprit_and_message(member_client, project):
    by_title = make_issue(project, title="TimeoutError: upstream")
    by_culprit = make_issue(project, title="ValueError", culprit="payments.stripe in charge")
    by_message = make_issue(project, title="Logged error", metadata={"value": "Card 4242 declined by bank"})
    make_issue(project, title="Unrelated")
    url = reverse("project-issues", args=[project.pk])
    assert rows_of(member_client.get(url, {"q": "timeout"})) == [by_title.pk]
    assert rows_of(member_client.get(url, {"q": "STRIPE"})) == [by_culprit.pk]
    assert rows_of(member_client.get(url, {"q": '"declined by bank"'})) == [by_message.pk]
    assert rows_of(member_client.get(url, {"q": "is:unresolved browser:Firefox"})) == []


def test_keyset_pages_cover_every_issue_once(member_client, project):
    now = timezone.now()
    # Several issues share a last_seen value, so the id must break ties for the pages to be exact.
    created = [make_issue(project, last_seen=now - timedelta(minutes=i // 3)) for i in range(PAGE_SIZE + 7)]
    url = reverse("project-issues", args=[project.pk])
    first = member_client.get(url)
    assert len(rows_of(first)) == PAGE_SIZE and first.context["page"].total == PAGE_SIZE + 7
    next_link = first.context["next_query"]
    assert next_link and 'rel="next"' in first.content.decode()
    second = member_client.get(f"{url}?{next_link}")
    assert len(rows_of(second)) == 7 and not second.context["next_query"]
    assert sorted(rows_of(first) + rows_of(second)) == sorted(issue.pk for issue in created)
    # An emptied query (all statuses) is kept in the next page's link instead of reverting to the default.
    resolved = make_issue(project, status=Issue.Status.RESOLVED, last_seen=now - timedelta(days=1))
    everything = member_client.get(url, {"q": ""})
    assert "q=&" in everything.context["next_query"]
    assert resolved.pk in rows_of(member_client.get(f"{url}?{everything.context['next_query']}"))


@pytest.mark.parametrize("cursor", ["garbage", "~", "2026-01-01T00:00:00~x", "2026-01-01T00:00:00~5", "9" * 40])
def test_a_bad_cursor_shows_the_first_page(member_client, project, cursor):
    issue = make_issue(project)
    response = member_client.get(reverse("project-issues", args=[project.pk]), {"cursor": cursor})
    assert response.status_code == 200 and rows_of(response) == [issue.pk]


@pytest.mark.parametrize("cursor", [f"{'9' * 30}~{'9' * 30}", "-5~-5", "1.5~2"])
def test_out_of_range_numeric_cursors_never_fail(member_client, project, cursor):
    make_issue(project)
    response = member_client.get(reverse("project-issues", args=[project.pk]), {"cursor": cursor, "sort": "times_seen"})
    assert response.status_code == 200


@pytest.mark.parametrize("query", ['"unbalanced', "a:b:c", ":", "is:", "level:" + "x" * 5000, "\x00", "é ü 中"])
def test_odd_queries_never_fail(member_client, project, query):
    make_issue(project)
    assert member_client.get(reverse("project-issues", args=[project.pk]), {"q": query}).status_code == 200


def test_all_issues_spans_only_the_users_projects(member_client, project, foreign_project):
    mine = make_issue(project)
    make_issue(foreign_project, title="Secret failure")
    response = member_client.get(reverse("all-issues"))
    assert rows_of(response) == [mine.pk]
    assert "Secret failure" not in response.content.decode()


def test_project_switcher_lists_only_the_users_projects(member_client, project, foreign_project):
    html = member_client.get(reverse("project-issues", args=[project.pk])).content.decode()
    assert reverse("project-issues", args=[project.pk]) in html
    assert "Secret project" not in html and reverse("project-issues", args=[foreign_project.pk]) not in html


def test_list_needs_login(client, project):
    response = client.get(reverse("project-issues", args=[project.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_pages_name_their_icon_and_the_conventional_address_leads_to_it(member_client):
    page = member_client.get(reverse("home")).content.decode()
    assert '<link rel="icon" href="/static/frontend/favicon.svg" type="image/svg+xml">' in page
    response = member_client.get("/favicon.ico")
    assert response.status_code == 302 and response.url == "/static/frontend/favicon.svg"
    assert finders.find("frontend/favicon.svg")


def test_the_header_links_the_api_docs_and_for_staff_the_admin(member_client, member):
    page = member_client.get(reverse("home")).content.decode()
    assert f'href="{reverse("api-docs")}"' in page and f'href="{reverse("admin:index")}"' not in page
    member.is_staff = True
    member.save()
    assert f'href="{reverse("admin:index")}"' in member_client.get(reverse("home")).content.decode()


def test_an_empty_project_shows_how_to_send_its_first_event(member_client, project, project_key, foreign_project):
    url = reverse("project-issues", args=[project.pk])
    page = member_client.get(url).content.decode()
    assert "Send the first event" in page and project_key.dsn in page
    assert 'environment="production"' in page and "tracehound.Handler" in page
    response = member_client.post(reverse("project-test-event", args=[project.pk]))
    assert response.status_code == 302 and response.url == url
    digest_until_empty()
    issue = Issue.objects.get(project=project)
    assert issue.title == "Tracehound test event: this project receives events"
    assert "Send the first event" not in member_client.get(url).content.decode()
    # Only a member's own projects, and only by POST.
    assert member_client.post(reverse("project-test-event", args=[foreign_project.pk])).status_code == 404
    assert member_client.get(reverse("project-test-event", args=[project.pk])).status_code == 405
