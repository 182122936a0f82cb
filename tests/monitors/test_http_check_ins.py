"""Sentry's HTTP check-in URL and heartbeat URLs: what they record, and each bad input's answer."""

import json
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.models import CheckIn, Monitor
from projects.services import create_project


def cron_url(key, slug="nightly-backup", project_id=None) -> str:
    return f"/api/{project_id or key.project_id}/cron/{slug}/{key.public_key}/"


def heartbeat_url(key, slug="nightly-backup", signal="") -> str:
    return f"/api/{key.project_id}/heartbeat/{slug}/{key.public_key}/" + (f"{signal}/" if signal else "")


def test_a_curl_line_records_a_run_from_start_to_finish(client, monitor, project_key):
    started = client.get(cron_url(project_key), {"status": "in_progress"})
    assert started.status_code == 202
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.IN_PROGRESS
    # The next run is expected at the schedule's next time, and overdue a margin later.
    assert monitor.next_expected_at == monitor.schedule.next_after(monitor.last_check_in_at)
    assert monitor.deadline == monitor.next_expected_at + timedelta(minutes=1)

    finished = client.post(cron_url(project_key) + "?status=ok&check_in_id=" + started.json()["id"])
    assert finished.status_code == 202 and finished.json() == started.json()
    [run] = CheckIn.objects.filter(monitor=monitor)
    assert (run.status, run.source) == ("ok", "http")
    assert run.duration_seconds is not None and run.duration_seconds >= 0
    monitor.refresh_from_db()
    assert (monitor.state, monitor.consecutive_successes) == ("ok", 1)


def test_without_a_check_in_id_a_finishing_check_in_closes_the_latest_open_run(client, monitor, project_key):
    client.get(cron_url(project_key), {"status": "in_progress"})
    client.get(cron_url(project_key), {"status": "error"})
    [run] = CheckIn.objects.filter(monitor=monitor)
    assert run.status == "error"
    monitor.refresh_from_db()
    assert (monitor.state, monitor.consecutive_failures) == ("failed", 1)
    # No run open now: the next `ok` is a run of its own.
    client.get(cron_url(project_key), {"status": "ok"})
    assert list(CheckIn.objects.filter(monitor=monitor).order_by("id").values_list("status", flat=True)) == [
        "error",
        "ok",
    ]


def test_a_post_with_monitor_config_creates_then_updates_the_monitor(client, project_key):
    config = {"schedule": {"type": "interval", "value": 15, "unit": "minute"}, "checkin_margin": 5, "max_runtime": 10}
    body = {"status": "ok", "monitor_config": config}
    response = client.post(cron_url(project_key, "sync-stock"), json.dumps(body), content_type="application/json")
    assert response.status_code == 202
    monitor = Monitor.objects.get(slug="sync-stock")
    assert (monitor.schedule_type, monitor.interval_value, monitor.interval_unit) == ("interval", 15, "minute")
    assert (monitor.checkin_margin_minutes, monitor.max_runtime_minutes) == (5, 10)
    assert monitor.next_expected_at == monitor.last_check_in_at + timedelta(minutes=15)

    body["monitor_config"] = {"schedule": {"type": "crontab", "value": "*/5 * * * *"}, "timezone": "Europe/Vienna"}
    client.post(cron_url(project_key, "sync-stock"), json.dumps(body), content_type="application/json")
    monitor.refresh_from_db()
    assert (monitor.schedule_type, monitor.crontab, monitor.timezone) == ("crontab", "*/5 * * * *", "Europe/Vienna")
    assert monitor.checkin_margin_minutes == 5  # kept: the new config does not say


def test_heartbeats_start_succeed_and_fail_and_keep_the_jobs_output(client, monitor, project_key):
    assert client.post(heartbeat_url(project_key, signal="start")).status_code == 200
    output = "backup done\n" + "x" * 20_000
    assert client.post(heartbeat_url(project_key), output, content_type="text/plain").status_code == 200
    [run] = CheckIn.objects.filter(monitor=monitor)
    assert (run.status, run.source) == ("ok", "heartbeat")
    assert run.body.startswith("backup done\n") and len(run.body.encode()) == 10 * 1024
    # Without the trailing slash too; GET works for the simplest cron lines.
    assert client.get(heartbeat_url(project_key, signal="fail").rstrip("/")).status_code == 200
    monitor.refresh_from_db()
    assert (monitor.state, monitor.consecutive_failures, monitor.consecutive_successes) == ("failed", 1, 0)


def test_a_monitor_of_one_environment_ignores_check_ins_from_another(client, monitor, project_key):
    Monitor.objects.filter(id=monitor.id).update(environment="production")
    response = client.get(cron_url(project_key), {"status": "ok", "environment": "staging"})
    assert response.status_code == 202 and "another environment" in response.json()["detail"]
    assert not CheckIn.objects.exists()
    assert client.get(cron_url(project_key), {"status": "ok", "environment": "production"}).status_code == 202
    assert CheckIn.objects.count() == 1


def test_a_flood_of_check_ins_is_cut_off_per_monitor(client, settings, monitor, project_key, project):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "MONITOR_CHECK_INS_PER_MINUTE": 3}
    if time.time() % 60 > 55:  # the limit counts per clock minute: start in a minute the requests will not leave
        time.sleep(60 - time.time() % 60)
    answers = [client.get(cron_url(project_key), {"status": "ok"}).status_code for _ in range(5)]
    assert answers == [202, 202, 202, 429, 429]
    refused = client.get(cron_url(project_key), {"status": "ok"})
    assert refused.json() == {"detail": "more than 3 check-ins a minute for this monitor"}
    assert refused["Retry-After"] == "60"
    assert CheckIn.objects.count() == 3
    # Another monitor of the project is not held back by it.
    Monitor.objects.create(project=project, name="Other", slug="other", crontab="* * * * *")
    assert client.get(cron_url(project_key, "other"), {"status": "ok"}).status_code == 202


@pytest.fixture
def other_key(team):
    return create_project(team, "Frontend")[1]


def config_body(**config) -> str:
    return json.dumps({"status": "ok", "monitor_config": config})


@pytest.mark.parametrize(
    ("make_url", "method", "body", "status", "detail"),
    [
        (lambda k: cron_url(k, "nope") + "?status=ok", "get", None, 404, "no monitor 'nope' in this project"),
        (lambda k: heartbeat_url(k, "nope"), "post", None, 404, "no monitor 'nope' in this project"),
        (lambda k: cron_url(k) + "?status=done", "get", None, 400, "status must be one of in_progress, ok, error"),
        (lambda k: cron_url(k), "get", None, 400, "status must be one of"),
        (lambda k: cron_url(k) + "?status=ok&check_in_id=../x", "get", None, 400, "check_in_id must be a UUID"),
        (lambda k: cron_url(k, "a" * 65) + "?status=ok", "get", None, 400, "monitor slug must be 1-64 letters"),
        (lambda k: cron_url(k, "new-job"), "post", config_body(schedule={"type": "crontab", "value": "61 * * * *"}),
         400, "invalid crontab '61 * * * *'"),
        (lambda k: cron_url(k, "new-job"), "post",
         config_body(schedule={"type": "crontab", "value": "0 * * * *"}, timezone="Mars/Olympus"),
         400, "unknown time zone 'Mars/Olympus'"),
        (lambda k: cron_url(k, "new-job"), "post",
         config_body(schedule={"type": "interval", "value": 5, "unit": "fortnight"}), 400, "interval unit must be"),
        (lambda k: cron_url(k, "new-job"), "post", config_body(schedule="0 * * * *"),
         400, "monitor_config.schedule must be an object"),
        (lambda k: cron_url(k, "new-job"), "post",
         config_body(schedule={"type": "crontab", "value": "0 * * * *"}, checkin_margin=0),
         400, "monitor_config.checkin_margin must be a whole number from 1 to 1440"),
        (lambda k: cron_url(k, "new-job"), "post",
         config_body(schedule={"type": "crontab", "value": "0 * * * *"}, failure_issue_threshold="3"),
         400, "monitor_config.failure_issue_threshold must be a whole number"),
        (lambda k: cron_url(k), "post", "{not json", 400, "body is not valid JSON"),
        (lambda k: cron_url(k), "post", "[1, 2]", 400, "body is not a JSON object"),
        (lambda k: cron_url(k), "post", json.dumps({"status": "ok", "duration": -1}), 400, "duration must be between"),
        (lambda k: cron_url(k), "post", json.dumps({"status": "ok", "x": "y" * 20_000}), 400, "body larger than"),
        (lambda k: f"/api/{k.project_id}/cron/nightly-backup/not-a-key/?status=ok", "get", None, 401, "malformed key"),
        (lambda k: f"/api/{k.project_id}/cron/nightly-backup/{uuid.uuid4().hex}/?status=ok", "get", None, 403,
         "unknown or revoked key"),
        (lambda k: f"/api/{k.project_id}/heartbeat/nightly-backup/{uuid.uuid4().hex}/", "get", None, 403,
         "unknown or revoked key"),
    ],
)  # fmt: skip
def test_bad_check_ins_get_a_clear_4xx(client, monitor, project_key, make_url, method, body, status, detail):
    url = make_url(project_key)
    post = method == "post"
    response = client.post(url, body or "", content_type="application/json") if post else client.get(url)
    assert response.status_code == status, response.content
    assert response.json()["detail"].startswith(detail)
    assert not CheckIn.objects.exists()
    assert not Monitor.objects.filter(slug="new-job").exists()


def test_a_key_of_another_project_is_refused(client, monitor, other_key):
    response = client.get(cron_url(other_key, project_id=monitor.project_id), {"status": "ok"})
    assert response.status_code == 403
    assert not CheckIn.objects.exists()


def test_a_revoked_key_is_refused(client, monitor, project_key):
    project_key.revoke()
    assert client.get(cron_url(project_key), {"status": "ok"}).status_code == 403


def test_other_methods_are_refused(client, monitor, project_key):
    assert client.delete(cron_url(project_key)).status_code == 405
    assert client.put(heartbeat_url(project_key)).status_code == 405


def test_a_finishing_check_in_after_the_sweep_timed_the_run_out_changes_nothing(client, monitor, project_key):
    run_id = client.get(cron_url(project_key), {"status": "in_progress"}).json()["id"]
    CheckIn.objects.filter(monitor=monitor).update(status="timeout", finished_at=timezone.now())
    assert client.get(cron_url(project_key), {"status": "ok", "check_in_id": run_id}).status_code == 202
    assert CheckIn.objects.get(monitor=monitor).status == "timeout"
