"""`manage.py status`, /status/ and /api/status/: one report (config/status.py), read from real rows. The health
checks run in threads of their own, which see committed rows only: hence `transactional_db`."""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from config import health
from config.models import Heartbeat
from ingest import outcomes
from issues.models import InboxItem, IssueMinuteCount
from monitors.models import Monitor, UptimeCheck
from notify.models import Channel, Delivery
from projects.models import IngestOutcomeMinute
from tests.frontend.factories import PASSWORD, make_issue, make_user

HOSTILE_NAME = '<script>alert("x")</script> Shop'


def heartbeat(role: str, seconds_ago: float = 0, process: str = "web-1:42") -> None:
    seen = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    Heartbeat.objects.create(role=role, process=process, seen_at=seen, started_at=seen - timedelta(hours=1))


@pytest.fixture
def busy_project(transactional_db, project):
    """A project with one event pending for 30 s and one set aside, 3 accepted (counted as ingest counts), an issue
    digested this minute, a sent and a failed alert; a digest worker and beat alive, a notify worker silent."""
    now = datetime.now(UTC)
    project.name = HOSTILE_NAME
    project.save()
    InboxItem.objects.create(
        project=project, event_id=uuid.uuid4(), payload=b"{}", received_at=now - timedelta(seconds=30)
    )
    InboxItem.objects.create(project=project, event_id=uuid.uuid4(), payload=b"{}", set_aside=True)
    outcomes.count(project.id, outcomes.ACCEPTED, 3)
    outcomes.count(project.id, "too_large")
    outcomes.flush()
    issue = make_issue(project)
    IssueMinuteCount.objects.create(project=project, issue=issue, minute=now.replace(second=0, microsecond=0), count=1)
    channel = Channel.objects.create(project=project, name="hook", kind="webhook", config={"url": "https://x.test/"})
    Delivery.objects.create(channel=channel, status=Delivery.Status.SENT)
    Delivery.objects.create(channel=channel, status=Delivery.Status.FAILED, last_error="404 from x.test")
    Delivery.objects.create(channel=channel, kind=Delivery.Kind.TEST, status=Delivery.Status.FAILED)  # not an alert
    heartbeat(Heartbeat.Role.DIGEST)
    heartbeat(Heartbeat.Role.BEAT)
    heartbeat(Heartbeat.Role.NOTIFY, seconds_ago=3600, process="notifier-1:7")
    # Two cron monitors and an uptime check, in three states.
    Monitor.objects.create(project=project, name="Backup", slug="backup", crontab="0 3 * * *", state="ok")
    Monitor.objects.create(project=project, name="Report", slug="report", crontab="0 4 * * *", state="missed")
    UptimeCheck.objects.create(project=project, name="Shop", url="https://shop.example.com/", state="down")
    return project


def project_row(status: dict, project) -> dict:
    return next(row for row in status["projects"] if row["project_id"] == project.id)


def test_status_json_reports_components_workers_and_projects(busy_project, settings):
    out = StringIO()
    call_command("status", "--json", stdout=out)
    status = json.loads(out.getvalue())
    assert status["healthy"] is True
    assert list(status["components"]) == settings.TRACEHOUND["HEALTH"]["CHECKS"]
    assert status["components"]["digest_backlog"] == {"ok": True, "detail": "oldest pending event waits for 30 s"}
    assert [(w["role"], w["process"], w["alive"]) for w in status["workers"]] == [
        ("beat", "web-1:42", True),
        ("digest", "web-1:42", True),
        ("notify", "notifier-1:7", False),
    ]
    row = project_row(status, busy_project)
    assert row["name"] == HOSTILE_NAME
    assert {key: row[key] for key in ("accepted_last_minute", "accepted_last_hour", "pending", "set_aside")} == {
        "accepted_last_minute": 3,
        "accepted_last_hour": 3,
        "pending": 1,
        "set_aside": 1,
    }
    assert 29 <= row["oldest_pending_seconds"] <= 60
    digested_minute = IssueMinuteCount.objects.get(project=busy_project).minute
    assert row["last_digest"] == digested_minute.isoformat().replace("+00:00", "Z")
    assert (row["alerts_sent"], row["alerts_failed"]) == (1, 1)
    assert row["outcomes"] == {"accepted": 3, "too_large": 1}
    assert (row["stored_events"], row["stored_bytes"]) == (None, None)  # before retention's first sweep measured
    assert row["monitors"] == {"ok": 1, "missed": 1, "down": 1}


def test_accepted_counts_leave_the_last_minute_and_hour(busy_project):
    IngestOutcomeMinute.objects.update(minute=datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5))
    out = StringIO()
    call_command("status", "--json", stdout=out)
    row = project_row(json.loads(out.getvalue()), busy_project)
    assert (row["accepted_last_minute"], row["accepted_last_hour"]) == (0, 3)


def test_status_text_and_exit_code_when_a_worker_is_silent(busy_project):
    Heartbeat.objects.filter(role=Heartbeat.Role.DIGEST).update(seen_at=datetime.now(UTC) - timedelta(minutes=5))
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("status", stdout=out)
    assert exit_info.value.code == 1
    text = out.getvalue()
    assert re.search(r"digest_workers +FAIL last digest heartbeat 30\d s ago \(limit 60 s\)", text), text
    assert "notify notifier-1:7" in text and "SILENT" in text
    assert f"project {busy_project.id:>4}" in text and "pending=1 set_aside=1" in text and "alerts_failed=1" in text


@pytest.mark.django_db
def test_status_exits_1_when_a_service_is_down(monkeypatch):
    def broken():
        raise ConnectionError("refused")

    monkeypatch.setitem(health.CHECKS, "cache", broken)
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("status", "--json", stdout=out)
    assert exit_info.value.code == 1
    status = json.loads(out.getvalue())
    assert status["healthy"] is False
    assert status["components"]["cache"] == {"ok": False, "detail": "ConnectionError: refused"}


def test_status_page_and_api_are_for_staff_only(busy_project, client, team):
    assert client.get("/status/")["location"].startswith("/accounts/login/?next=/status/")
    assert client.get("/api/status/").status_code == 403
    member = make_user(team)
    client.login(username=member.username, password=PASSWORD)
    assert client.get("/status/").status_code == 403
    assert client.get("/api/status/").json() == {"detail": "staff only"}
    assert "/status/" not in client.get("/").content.decode()  # no link for members


def test_status_page_shows_the_report_escaped(busy_project, client):
    staff = make_user()
    staff.is_staff = True
    staff.save()
    client.login(username=staff.username, password=PASSWORD)
    page = client.get("/status/").content.decode()
    assert "Status: healthy" in page
    assert 'id="component-digest_backlog"><td>digest_backlog</td><td>ok</td><td>oldest pending event waits' in page
    assert "notifier-1:7" in page
    assert '<script>alert("x")' not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Shop" in page
    assert 'href="/status/"' in client.get("/").content.decode()  # staff find it in the header
    api = client.get("/api/status/").json()
    assert api["healthy"] is True
    assert project_row(api, busy_project)["alerts_failed"] == 1
