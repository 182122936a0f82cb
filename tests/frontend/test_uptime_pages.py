"""Uptime checks on the monitors page, their form and their API: what they show, each bad input's reason, access."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from monitors.models import UptimeCheck, UptimeResult
from projects.models import TeamMembership
from projects.services import ensure_default_team
from tests.frontend.factories import make_user

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'
FORM = {
    "name": "Shop health",
    "url": "https://93.184.216.34/health/",
    "method": "GET",
    "request_headers": '{"Accept": "text/html"}',
    "request_body": "",
    "expected_statuses": "200-299",
    "keyword": "ok",
    "keyword_mode": "present",
    "timeout_seconds": "10",
    "interval_seconds": "60",
    "follow_redirects": "on",
    "certificate_expiry_days": "14",
    "failure_threshold": "2",
    "recovery_threshold": "1",
    "environment": "production",
}


@pytest.fixture
def check(project):
    check = UptimeCheck.objects.create(project=project, name=f"Health {HOSTILE}", url="https://93.184.216.34/health/")
    now = timezone.now()
    for minutes, ok in ((1, True), (2, False), (3, True), (4, True)):
        UptimeResult.objects.create(
            uptime_check=check,
            checked_at=now - timedelta(minutes=minutes),
            ok=ok,
            status_code=200 if ok else 503,
            response_ms=120.0 + minutes,
            reason="" if ok else f"answered 503 {HOSTILE}",
        )
    UptimeCheck.objects.filter(id=check.id).update(state="up", certificate_expires_at=now + timedelta(days=40))
    return check


def test_the_monitors_page_shows_uptime_checks(member_client, project, check):
    html = member_client.get(reverse("project-monitors", args=[project.id])).content.decode()
    assert HOSTILE not in html
    assert html.count('class="check-in status-') == 4
    assert "75.0%" in html and 'aria-label="response times of the last 4 checks"' in html
    assert "expires" in html and f'href="/projects/{project.id}/uptime/{check.id}/"' in html


def test_the_form_creates_a_check(member_client, project):
    response = member_client.post(reverse("uptime-create", args=[project.id]), FORM)
    assert response.status_code == 302, response.context["form"].errors if response.context else None
    check = UptimeCheck.objects.get(project=project)
    assert (check.keyword, check.keyword_mode, check.failure_threshold) == ("ok", "present", 2)
    assert check.request_headers == {"Accept": "text/html"} and check.follow_redirects


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"interval_seconds": "10"}, "interval_seconds", "greater than or equal to 30"),
        ({"interval_seconds": "86401"}, "interval_seconds", "less than or equal to 86400"),
        ({"timeout_seconds": "0"}, "timeout_seconds", "greater than or equal to 1"),
        ({"expected_statuses": "2xx"}, "expected_statuses", "expected status codes such as 200-299"),
        ({"url": "ftp://example.com/"}, "url", "only http:// and https:// URLs can be used"),
        ({"url": "http://127.0.0.1:8000/"}, "url", "loopback address; allow it with TRACEHOUND_MONITOR_ALLOWED"),
        ({"url": "http://10.0.0.5/"}, "url", "a private address"),
        ({"url": "http://169.254.169.254/latest/"}, "url", "never allowed"),
        ({"request_headers": "[1, 2]"}, "request_headers", "a JSON object of at most 20 headers"),
        ({"request_headers": '{"X-A": "b\\r\\nEvil: 1"}'}, "request_headers", "header 'X-A'"),
        ({"request_headers": "{not json"}, "request_headers", "Enter a valid JSON"),
        ({"keyword": ""}, "keyword", "Enter the keyword to look for."),
        ({"method": "DELETE"}, "method", "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_reason_in_the_form_and_the_api(member_client, project, changes, field, error):
    page = member_client.post(reverse("uptime-create", args=[project.id]), {**FORM, **changes})
    assert page.status_code == 200
    assert error in " ".join(page.context["form"].errors[field])
    body = {**FORM, **changes}
    if changes.get("request_headers", "").startswith(("{", "[")) and "not json" not in changes["request_headers"]:
        body["request_headers"] = json.loads(changes["request_headers"])
    api = member_client.post(reverse("api-uptime-checks", args=[project.id]), body, content_type="application/json")
    assert api.status_code == 400 and error in " ".join(api.json()[field])
    assert not UptimeCheck.objects.exists()


def test_an_operator_may_allow_internal_services(member_client, project, settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "MONITOR_ALLOWED_NETWORKS": ["10.0.0.0/8"]}
    response = member_client.post(reverse("uptime-create", args=[project.id]), {**FORM, "url": "http://10.0.0.5/"})
    assert response.status_code == 302


def test_the_api_lists_changes_and_deletes(member_client, project, check):
    listed = member_client.get(reverse("api-uptime-checks", args=[project.id])).json()
    assert listed[0]["uptime"]["24h"] == 75.0 and listed[0]["url"] == check.url
    url = reverse("api-uptime-check", args=[project.id, check.id])
    patched = member_client.patch(
        url, {"interval_seconds": 30, "keyword": "ok", "keyword_mode": "absent"}, "application/json"
    )
    assert patched.status_code == 200 and patched.json()["interval_seconds"] == 30
    assert member_client.delete(url).status_code == 204
    assert not UptimeCheck.objects.exists()


def test_members_read_admins_change_other_teams_get_404(client, member, project, check):
    TeamMembership.objects.filter(user=member).update(role=TeamMembership.Role.MEMBER)
    client.force_login(member)
    assert client.get(reverse("api-uptime-checks", args=[project.id])).status_code == 200
    for url in (reverse("uptime-create", args=[project.id]), reverse("uptime-edit", args=[project.id, check.id])):
        assert client.get(url).status_code == 403
    assert client.delete(reverse("api-uptime-check", args=[project.id, check.id])).status_code == 403
    client.force_login(make_user(ensure_default_team("Other team"), "eve"))
    for url in (
        reverse("api-uptime-check", args=[project.id, check.id]),
        reverse("uptime-edit", args=[project.id, check.id]),
        reverse("uptime-delete", args=[project.id, check.id]),
    ):
        response = client.get(url)
        assert response.status_code == 404 and b"93.184.216.34" not in response.content
    assert UptimeCheck.objects.filter(id=check.id).exists()
