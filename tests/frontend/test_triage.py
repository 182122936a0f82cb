"""Triage: the one service in issues/triage.py, the forms of the issue page and the list, and the API actions."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from issues import live, triage
from issues.models import Issue
from issues.search import search_issues
from tests.frontend.factories import make_event, make_issue

pytestmark = pytest.mark.django_db


def kinds(issue) -> list[str]:
    return list(issue.transitions.order_by("id").values_list("kind", flat=True))


# The service


def test_resolve_writes_the_state_a_transition_with_the_actor_and_publishes_after_commit(
    project, member, monkeypatch, django_capture_on_commit_callbacks
):
    issue = make_issue(project)
    published = []
    monkeypatch.setattr(live, "_coalesce", lambda project_id, ids: published.append((project_id, ids)))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        changed = triage.resolve_issues(Issue.objects.filter(pk=issue.pk), member)
        assert published == []  # nothing is announced before the change is committed
    assert changed == [issue.pk] and len(callbacks) == 1
    assert published == [(project.pk, {issue.pk})]
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED and issue.resolved_at is not None
    transition = issue.transitions.get()
    assert (transition.kind, transition.actor, transition.project_id) == ("resolved", member, project.pk)


def test_each_action_moves_the_status_and_leaves_issues_already_there_alone(project, member):
    issue = make_issue(project)
    only = Issue.objects.filter(pk=issue.pk)
    assert triage.unresolve_issues(only, member) == []  # not resolved: nothing to do, no history row
    assert triage.unmute_issues(only, member) == []
    assert triage.triage(only, member, "resolve") == [issue.pk]
    assert triage.triage(only, member, "resolve") == []
    assert triage.triage(only, member, "unresolve") == [issue.pk]
    assert triage.triage(only, member, "mute", "24h") == [issue.pk]
    issue.refresh_from_db()
    assert issue.status == "muted"
    assert timedelta(hours=23) < issue.muted_until - timezone.now() <= timedelta(hours=24)
    assert triage.triage(only, member, "unmute") == [issue.pk]
    issue.refresh_from_db()
    assert (issue.status, issue.muted_until, issue.resolved_at) == ("unresolved", None, None)
    assert kinds(issue) == ["resolved", "unresolved", "muted", "unmuted"]


def test_mute_until_unmuted_has_no_end_and_resolving_a_muted_issue_clears_the_mute(project, member):
    issue = make_issue(project)
    triage.mute_issues(Issue.objects.filter(pk=issue.pk), member)
    issue.refresh_from_db()
    assert issue.status == "muted" and issue.muted_until is None
    assert issue.transitions.get().details == {"muted_until": None}
    triage.resolve_issues(Issue.objects.filter(pk=issue.pk), member)
    issue.refresh_from_db()
    assert issue.status == "resolved" and issue.muted_until is None


def test_unknown_action_or_duration_is_refused_before_anything_changes(project, member):
    issue = make_issue(project)
    with pytest.raises(triage.TriageError):
        triage.triage(Issue.objects.filter(pk=issue.pk), member, "delete")
    with pytest.raises(triage.TriageError):
        triage.triage(Issue.objects.filter(pk=issue.pk), member, "mute", "3 years")
    issue.refresh_from_db()
    assert issue.status == "unresolved" and kinds(issue) == []


def test_status_search_terms_find_each_state(project, member):
    unresolved, resolved, muted = make_issue(project), make_issue(project), make_issue(project)
    triage.resolve_issues(Issue.objects.filter(pk=resolved.pk), member)
    triage.mute_issues(Issue.objects.filter(pk=muted.pk), member, "1h")
    for term, expected in (("is:unresolved", unresolved), ("is:resolved", resolved), ("is:muted", muted)):
        assert list(search_issues(None, term)) == [expected], term


# The issue page's form


def test_issue_page_shows_the_actions_for_its_state_and_the_form_changes_it(member_client, project, member):
    issue = make_issue(project)
    make_event(issue)
    page = member_client.get(reverse("issue", args=[issue.pk])).content.decode()
    assert 'value="resolve"' in page and 'value="mute"' in page and 'value="unresolve"' not in page
    response = member_client.post(reverse("triage-issue", args=[issue.pk]), {"action": "resolve"})
    assert response.status_code == 302 and response.url == reverse("issue", args=[issue.pk])
    issue.refresh_from_db()
    assert issue.status == "resolved"
    page = member_client.get(reverse("issue", args=[issue.pk])).content.decode()
    assert 'value="unresolve"' in page and 'value="resolve"' not in page
    assert "resolved" in page and "by <bdi>ada</bdi>" in page  # the history names the person

    member_client.post(reverse("triage-issue", args=[issue.pk]), {"action": "mute", "duration": "7d"})
    page = member_client.get(reverse("issue", args=[issue.pk])).content.decode()
    assert 'value="unmute"' in page and "Muted until" in page
    member_client.post(reverse("triage-issue", args=[issue.pk]), {"action": "unmute"})
    issue.refresh_from_db()
    assert issue.status == "unresolved" and kinds(issue) == ["resolved", "muted", "unmuted"]


def test_issue_form_refuses_bad_input_and_get(member_client, project):
    issue = make_issue(project)
    url = reverse("triage-issue", args=[issue.pk])
    assert member_client.post(url, {"action": "delete"}).status_code == 400
    assert member_client.post(url, {"action": "mute", "duration": "forever and a day"}).status_code == 400
    assert member_client.get(url).status_code == 405
    issue.refresh_from_db()
    assert issue.status == "unresolved" and kinds(issue) == []


def test_another_teams_issue_is_404_and_unchanged(member_client, foreign_project, project):
    foreign = make_issue(foreign_project, title="Secret failure")
    own = make_issue(project)
    for action in ("resolve", "mute", "unresolve", "unmute"):
        assert member_client.post(reverse("triage-issue", args=[foreign.pk]), {"action": action}).status_code == 404
    # A bulk request with one foreign issue changes none of them, not even the user's own.
    response = member_client.post(reverse("triage-issues"), {"action": "resolve", "issue": [own.pk, foreign.pk]})
    assert response.status_code == 404
    api = member_client.post(
        reverse("api-triage-issue", args=[foreign.pk]), {"action": "resolve"}, content_type="application/json"
    )
    assert api.status_code == 404 and b"Secret" not in api.content
    api_bulk = member_client.post(
        reverse("api-triage-issues"),
        {"action": "resolve", "issues": [own.pk, foreign.pk]},
        content_type="application/json",
    )
    assert api_bulk.status_code == 404
    for issue in (foreign, own):
        issue.refresh_from_db()
        assert issue.status == "unresolved" and kinds(issue) == []


def test_a_post_without_the_csrf_token_is_403_and_changes_nothing(project, member):
    issue = make_issue(project)
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post(reverse("triage-issue", args=[issue.pk]), {"action": "resolve"}).status_code == 403
    assert client.post(reverse("triage-issues"), {"action": "resolve", "issue": [issue.pk]}).status_code == 403
    api = client.post(
        reverse("api-triage-issue", args=[issue.pk]), {"action": "resolve"}, content_type="application/json"
    )
    assert api.status_code == 403
    issue.refresh_from_db()
    assert issue.status == "unresolved" and kinds(issue) == []


def test_the_forms_carry_a_csrf_token(member_client, project):
    issue = make_issue(project)
    for url in (reverse("issue", args=[issue.pk]), reverse("project-issues", args=[project.pk])):
        page = member_client.get(url).content.decode()
        assert page.count('name="csrfmiddlewaretoken"') >= 2, url  # the triage form and the logout form


# The list's bulk form


def test_bulk_form_resolves_the_selected_issues_and_returns_to_the_list(member_client, project):
    first, second, untouched = make_issue(project), make_issue(project), make_issue(project)
    list_url = reverse("project-issues", args=[project.pk])
    page = member_client.get(list_url).content.decode()
    assert f'name="issue" value="{first.pk}" form="bulk-actions"' in page
    back = f"{list_url}?q=is:unresolved"
    response = member_client.post(
        reverse("triage-issues"), {"action": "resolve", "issue": [first.pk, second.pk], "next": back}
    )
    assert response.status_code == 302 and response.url == back
    assert set(Issue.objects.filter(status="resolved").values_list("id", flat=True)) == {first.pk, second.pk}
    returned = member_client.get(back)
    assert [issue.pk for issue in returned.context["page"].issues] == [untouched.pk]  # they left the list
    assert "2 issues resolved." in returned.content.decode()
    member_client.post(reverse("triage-issues"), {"action": "resolve", "issue": [first.pk]})
    assert "Nothing to do" in member_client.get(back).content.decode()  # already resolved: nothing changed


def test_bulk_form_mutes_for_a_duration_and_refuses_bad_input(member_client, project):
    issue = make_issue(project)
    url = reverse("triage-issues")
    # Nothing selected (only a page without JavaScript can send it): answered on the list it came from.
    back = reverse("project-issues", args=[project.pk])
    response = member_client.post(url, {"action": "resolve", "next": back})
    assert response.status_code == 302 and response.url == back
    assert "Select at least one issue first." in member_client.get(back).content.decode()
    assert member_client.post(url, {"action": "resolve", "issue": ["abc"]}).status_code == 400
    assert member_client.post(url, {"action": "resolve", "issue": ["9" * 30]}).status_code == 400
    assert member_client.post(url, {"action": "resolve", "issue": ["²"]}).status_code == 400  # a digit to isdigit()
    assert member_client.post(url, {"action": "explode", "issue": [issue.pk]}).status_code == 400
    response = member_client.post(
        url, {"action": "mute", "duration": "1h", "issue": [issue.pk], "next": "https://elsewhere.example/"}
    )
    assert response.status_code == 302 and response.url == reverse("all-issues")  # never off-site
    issue.refresh_from_db()
    assert issue.status == "muted" and issue.muted_until is not None


# The API


def test_api_triage_one_issue_answers_the_new_state(member_client, project):
    issue = make_issue(project)
    url = reverse("api-triage-issue", args=[issue.pk])
    body = member_client.post(url, {"action": "mute", "duration": "1h"}, content_type="application/json").json()
    assert body["status"] == "muted" and body["muted_until"] and body["id"] == issue.pk
    body = member_client.post(url, {"action": "resolve"}, content_type="application/json").json()
    assert body["status"] == "resolved" and body["resolved_at"] and body["muted_until"] is None
    bad = member_client.post(url, {"action": "mute", "duration": "ever"}, content_type="application/json")
    assert bad.status_code == 400 and "duration" in bad.json()
    assert kinds(issue) == ["muted", "resolved"]


def test_api_bulk_triage_reports_what_changed(member_client, project):
    resolved, open_issue = make_issue(project), make_issue(project)
    url = reverse("api-triage-issues")
    member_client.post(url, {"action": "resolve", "issues": [resolved.pk]}, content_type="application/json")
    response = member_client.post(
        url, {"action": "resolve", "issues": [resolved.pk, open_issue.pk]}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json() == {"changed": [open_issue.pk]}
    assert (
        member_client.post(url, {"action": "resolve", "issues": []}, content_type="application/json").status_code == 400
    )
    huge = member_client.post(url, {"action": "resolve", "issues": [2**70]}, content_type="application/json")
    assert huge.status_code == 400


def test_the_schema_describes_the_triage_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    one = schema["paths"]["/api/ui/issues/{issue_id}/triage/"]["post"]
    bulk = schema["paths"]["/api/ui/issues/triage/"]["post"]
    assert one["operationId"] == "issues_triage" and bulk["operationId"] == "issues_triage_bulk"
    components = schema["components"]["schemas"]
    assert set(components["BulkTriage"]["properties"]) == {"action", "duration", "issues"}
    assert set(one["responses"]) == set(bulk["responses"]) == {"200", "400", "404"}
    assert {"status", "resolved_at", "muted_until"} <= set(components["Issue"]["properties"])


def test_the_schema_and_its_offline_docs_are_served_to_signed_in_users(member_client):
    assert Client().get(reverse("api-schema")).status_code == 403
    schema = member_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/ui/issues/{issue_id}/triage/" in schema.json()["paths"]
    docs = member_client.get(reverse("api-docs"))
    assert docs.status_code == 200
    assert b"drf_spectacular_sidecar/swagger-ui-dist" in docs.content  # served from here, no CDN


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '{"action": ["resolve"], "issues": [1]}',
        '{"action": "resolve", "issues": "1"}',
        '{"action": "resolve", "issues": [true]}',
        '{"action": "resolve", "issues": [-1]}',
        '{"action": "mute", "duration": null, "issues": [1]}',
    ],
)
def test_api_malformed_bodies_are_400_and_change_nothing(member_client, project, body):
    issue = make_issue(project)
    body = body.replace("[1]", f"[{issue.pk}]")
    response = member_client.post(reverse("api-triage-issues"), body, content_type="application/json")
    assert response.status_code == 400
    issue.refresh_from_db()
    assert issue.status == "unresolved" and kinds(issue) == []
