"""The Content-Security-Policy: on every HTML response, and nothing inline in the pages that it would block."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from frontend.csp import policy_header
from tests.frontend.factories import PASSWORD, add_tag, make_event, make_issue

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def assert_nothing_inline(html: str, url: str) -> None:
    """What the policy would block: inline scripts (JSON data is not run), style elements and attributes, handlers."""
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
    assert "<style" not in html, url
    assert not re.search(r"<[^>]+\sstyle=", html), url
    assert not re.search(r"<[^>]+\son[a-z]+=", html), url
    assert "javascript:" not in html, url


def test_the_policy_is_the_strict_one():
    assert policy_header(settings.SECURE_CSP) == POLICY


def test_every_page_carries_the_policy_and_inlines_nothing(member_client, member, project, project_key):
    issue = make_issue(project)
    event = make_event(issue)
    add_tag(issue, "browser", "Firefox")
    urls = [
        reverse("home"),
        reverse("all-issues"),
        reverse("project-issues", args=[project.pk]),
        reverse("project-settings", args=[project.pk]),
        reverse("issue", args=[issue.pk]),
        reverse("issue-event", args=[issue.pk, event.pk]),
        reverse("api-docs"),
        "/no/such/page/",
    ]
    for url in urls:
        response = member_client.get(url)
        assert response["Content-Security-Policy"] == POLICY, url
        assert_nothing_inline(response.content.decode(), url)
    # The facet bars are drawn with SVG now, not an inline width.
    issue_page = member_client.get(reverse("issue", args=[issue.pk])).content.decode()
    assert '<rect width="100" height="1"></rect>' in issue_page
    # The API docs' script is a URL of its own, under the same policy.
    script = member_client.get(reverse("api-docs") + "?script")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert script["Content-Security-Policy"] == POLICY


def test_anonymous_and_error_answers_carry_the_policy(client):
    answers = {
        "login": client.get(reverse("login")),
        "redirect to login": client.get(reverse("home")),
        "admin login": client.get(reverse("admin:login")),
        "404": client.get("/no/such/page/"),
        "foreign host": client.get("/", HTTP_HOST="evil.example"),
        "csrf": Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "a", "password": "b"}),
        "api without a session": client.get(reverse("api-issues")),
    }
    for name, response in answers.items():
        assert response["Content-Security-Policy"] == POLICY, name
        if response["Content-Type"].startswith("text/html"):
            assert_nothing_inline(response.content.decode(), name)


def test_the_admin_pages_carry_the_policy_and_inline_nothing(client, project):
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    client.login(username="root", password=PASSWORD)
    urls = [reverse("admin:index")]
    for model in ("organization", "team", "project", "projectkey"):
        urls.append(reverse(f"admin:projects_{model}_changelist"))
        urls.append(reverse(f"admin:projects_{model}_add"))
    urls.append(reverse("admin:projects_project_change", args=[project.pk]))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Security-Policy"] == POLICY, url
        assert_nothing_inline(response.content.decode(), url)
