"""The monitors page and form, and the monitors API: what they show, what they refuse, and who may do what."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from monitors.models import CheckIn, Monitor
from projects.models import TeamMembership
from projects.services import ensure_default_team
from tests.frontend.factories import make_user

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def monitor(project):
    monitor = Monitor.objects.create(
        project=project, name=f"Backup {HOSTILE}", slug="nightly-backup", crontab="30 2 * * *", timezone="Europe/Vienna"
    )
    now = timezone.now()
    for hours, status in ((1, "ok"), (2, "ok"), (3, "error"), (4, "ok"), (30, "missed"), (24 * 10, "ok")):
        CheckIn.objects.create(monitor=monitor, status=status, source="http", created_at=now - timedelta(hours=hours))
    Monitor.objects.filter(id=monitor.id).update(
        state="ok", last_check_in_at=now, next_expected_at=now + timedelta(hours=3)
    )
    return monitor


def test_the_monitors_page_shows_state_strip_uptime_and_next_check_in(member_client, project, monitor):
    page = member_client.get(reverse("project-monitors", args=[project.id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert HOSTILE not in html and "&lt;script&gt;" in html  # a monitor's name is escaped
    assert html.count('class="check-in status-') == 6
    assert "75.0%" in html  # 24 h: 3 of 4 runs ended well
    assert "60.0%" in html  # 7 d: 3 of 5 (the miss 30 h ago counts)
    assert "66.7%" in html  # 30 d: 4 of 6
    assert "30 2 * * * (Europe/Vienna)" in html
    assert f'href="/projects/{project.id}/monitors/{monitor.id}/"' in html
    # The region refreshes itself from the same page every 15 seconds.
    assert f'id="monitors-region" hx-get="/projects/{project.id}/monitors/" hx-trigger="every 15s"' in html
    assert "htmx" in html and "<script" in html


def test_the_form_creates_a_monitor_and_shows_snippets_that_report_to_it(member_client, project, project_key):
    form = {
        "name": "Stock sync",
        "slug": "stock-sync",
        "schedule_type": "crontab",
        "crontab": "*/15 * * * *",
        "interval_value": "",
        "interval_unit": "",
        "timezone": "UTC",
        "checkin_margin_minutes": "2",
        "max_runtime_minutes": "10",
        "failure_threshold": "3",
        "recovery_threshold": "2",
        "environment": "production",
    }
    response = member_client.post(reverse("monitor-create", args=[project.id]), form)
    assert response.status_code == 302
    monitor = Monitor.objects.get(project=project, slug="stock-sync")
    assert (monitor.crontab, monitor.failure_threshold, monitor.recovery_threshold) == ("*/15 * * * *", 3, 2)
    page = member_client.get(response["Location"]).content.decode()
    cron_url = f"http://localhost:8000/api/{project.id}/cron/stock-sync/{project_key.public_key}/"
    assert f"*/15 * * * * curl -fsS -m 10 --retry 3 -o /dev/null &quot;{cron_url}?status=in_progress&quot;" in page
    assert "@monitor(monitor_slug=&quot;stock-sync&quot;)" in page
    assert (
        "&quot;stock-sync&quot;: {&quot;task&quot;: &quot;myapp.tasks.job&quot;, &quot;schedule&quot;: crontab(" in page
    )
    assert f"/api/{project.id}/heartbeat/stock-sync/{project_key.public_key}/" in page


def test_the_curl_line_of_the_snippet_really_checks_in(member_client, client, project, project_key, monitor):
    page = member_client.get(reverse("monitor-edit", args=[project.id, monitor.id])).content.decode()
    assert "CRON_TZ=Europe/Vienna" in page
    url = f"/api/{project.id}/cron/nightly-backup/{project_key.public_key}/"
    assert url in page
    assert client.get(url, {"status": "ok"}).status_code == 202


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"crontab": "61 * * * *"}, "crontab", "invalid crontab"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"schedule_type": "interval", "interval_value": "0", "interval_unit": "hour"}, "interval_value", ""),
        ({"schedule_type": "interval", "interval_value": "5", "interval_unit": ""}, "interval_unit", "interval unit"),
        ({"slug": "no spaces"}, "slug", ""),
        ({"slug": "other"}, "slug", "Another monitor of this project has this slug."),
        ({"failure_threshold": "0"}, "failure_threshold", ""),
        ({"checkin_margin_minutes": "99999"}, "checkin_margin_minutes", ""),
    ],
)
def test_the_form_and_the_api_refuse_bad_values_with_a_reason(member_client, project, monitor, changes, field, error):
    Monitor.objects.create(project=project, name="Other", slug="other", crontab="* * * * *")
    base = {
        "name": "Backup",
        "slug": "nightly-backup",
        "schedule_type": "crontab",
        "crontab": "30 2 * * *",
        "timezone": "UTC",
        "checkin_margin_minutes": "1",
        "max_runtime_minutes": "30",
        "failure_threshold": "1",
        "recovery_threshold": "1",
    }
    page = member_client.post(reverse("monitor-edit", args=[project.id, monitor.id]), {**base, **changes})
    assert page.status_code == 200
    assert field in page.context["form"].errors and error in " ".join(page.context["form"].errors[field])
    api = member_client.patch(
        reverse("api-monitor", args=[project.id, monitor.id]), json.dumps(changes), content_type="application/json"
    )
    assert api.status_code == 400 and error in " ".join(api.json()[field])
    monitor.refresh_from_db()
    assert (monitor.crontab, monitor.slug, monitor.failure_threshold) == ("30 2 * * *", "nightly-backup", 1)


def test_the_api_lists_creates_changes_and_deletes(member_client, project, monitor):
    listed = member_client.get(reverse("api-monitors", args=[project.id])).json()
    assert [row["slug"] for row in listed] == ["nightly-backup"]
    assert listed[0]["uptime"] == {"24h": 75.0, "7d": 60.0, "30d": pytest.approx(66.666, abs=0.01)}
    body = {
        "name": "Hourly",
        "slug": "hourly",
        "schedule_type": "interval",
        "interval_value": 1,
        "interval_unit": "hour",
    }
    created = member_client.post(reverse("api-monitors", args=[project.id]), body, content_type="application/json")
    assert created.status_code == 201 and created.json()["interval_unit"] == "hour"
    patched = member_client.patch(
        reverse("api-monitor", args=[project.id, created.json()["id"]]),
        {"failure_threshold": 4},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["failure_threshold"] == 4
    assert member_client.delete(reverse("api-monitor", args=[project.id, monitor.id])).status_code == 204
    assert list(Monitor.objects.values_list("slug", flat=True)) == ["hourly"]


def test_members_read_admins_change_other_teams_get_404(client, member, project, monitor, foreign_project):
    urls_read = [reverse("project-monitors", args=[project.id]), reverse("api-monitors", args=[project.id])]
    urls_change = [
        reverse("monitor-create", args=[project.id]),
        reverse("monitor-edit", args=[project.id, monitor.id]),
        reverse("monitor-delete", args=[project.id, monitor.id]),
    ]
    TeamMembership.objects.filter(user=member).update(role=TeamMembership.Role.MEMBER)
    client.force_login(member)
    assert [client.get(url).status_code for url in urls_read] == [200, 200]
    assert [client.get(url).status_code for url in urls_change] == [403, 403, 403]
    assert client.delete(reverse("api-monitor", args=[project.id, monitor.id])).status_code == 403
    assert client.post(reverse("monitor-delete", args=[project.id, monitor.id])).status_code == 403
    assert Monitor.objects.filter(id=monitor.id).exists()

    outsider = make_user(ensure_default_team("Other team"), "eve")
    client.force_login(outsider)
    for url in [*urls_read, *urls_change, reverse("api-monitor", args=[project.id, monitor.id])]:
        response = client.get(url)
        assert response.status_code == 404 and b"nightly-backup" not in response.content
    # A monitor of one's own project through another project's URL is a 404 too.
    client.force_login(member)
    assert client.get(reverse("monitor-edit", args=[foreign_project.id, monitor.id])).status_code == 404


def test_the_issue_list_links_to_the_monitors_page(member_client, project):
    page = member_client.get(reverse("project-issues", args=[project.id]))
    assert reverse("project-monitors", args=[project.id]) in page.content.decode()
