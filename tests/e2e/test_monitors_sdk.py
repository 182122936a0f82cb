"""The real sentry-sdk's cron monitoring (`sentry_sdk.monitor`, `capture_checkin`) and a curl-style heartbeat
against a real server process: check-ins travel through ingest's inbox to monitors, in either mode."""

import subprocess
import sys
import time
from urllib.request import Request, urlopen

from monitors.models import CheckIn, Monitor

SEND = """
import sys
import sentry_sdk
from sentry_sdk.crons import capture_checkin, monitor

sentry_sdk.init(dsn=sys.argv[1], environment="production", release="shop@3.0")
nightly = {
    "schedule": {"type": "crontab", "value": "30 2 * * *"},
    "timezone": "Europe/Vienna",
    "checkin_margin": 10,
    "max_runtime": 45,
    "failure_issue_threshold": 2,
    "recovery_threshold": 3,
}

@monitor(monitor_slug="nightly-backup", monitor_config=nightly)
def backup():
    pass

@monitor(monitor_slug="nightly-backup", monitor_config=nightly)
def backup_that_fails():
    raise RuntimeError("disk full")

backup()
try:
    backup_that_fails()
except RuntimeError:
    pass
capture_checkin(
    monitor_slug="sync-stock",
    status="ok",
    duration=2.5,
    monitor_config={"schedule": {"type": "interval", "value": 10, "unit": "minute"}},
)
capture_checkin(monitor_slug="never-configured", status="ok")  # no monitor, no config: dropped
sentry_sdk.flush(timeout=10)
"""


# Celery beat as sentry-sdk's integration watches it: a real beat Scheduler applies each entry (the integration
# patches Scheduler.apply_entry to send the in-progress check-in with the entry's schedule as monitor_config), and
# the task runs (eagerly, here) and reports its end through Celery's signals.
BEAT = """
import sys
import sentry_sdk
from celery import Celery
from celery.beat import Scheduler
from celery.schedules import crontab
from sentry_sdk.integrations.celery import CeleryIntegration

sentry_sdk.init(dsn=sys.argv[1], integrations=[CeleryIntegration(monitor_beat_tasks=True)])
app = Celery("shop", broker="memory://")
app.conf.task_always_eager = True
app.conf.timezone = "Europe/Vienna"
app.conf.beat_schedule = {
    "nightly-report": {"task": "shop.report", "schedule": crontab(minute="30", hour="2")},
    "sync-stock": {"task": "shop.sync", "schedule": 600.0},
}

@app.task(name="shop.report")
def report():
    return "done"

@app.task(name="shop.sync")
def sync():
    raise RuntimeError("stock feed down")

scheduler = Scheduler(app, lazy=True)
scheduler.setup_schedule()
for name in app.conf.beat_schedule:
    scheduler.apply_entry(scheduler.schedule[name], producer=None)
sentry_sdk.flush(timeout=10)
"""


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_the_real_sentry_sdk_creates_monitors_and_records_their_runs(tracehound_server, project_and_key):
    project, key = project_and_key
    done = subprocess.run(
        [sys.executable, "-c", SEND, tracehound_server.dsn(key)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr

    def runs():
        finished = CheckIn.objects.filter(monitor__project=project).exclude(status="in_progress")
        return list(finished.order_by("id")) if finished.count() == 3 else None

    assert wait_for(runs), tracehound_server.log()
    nightly = Monitor.objects.get(project=project, slug="nightly-backup")
    assert (nightly.crontab, nightly.timezone, nightly.checkin_margin_minutes) == ("30 2 * * *", "Europe/Vienna", 10)
    assert (nightly.max_runtime_minutes, nightly.failure_threshold, nightly.recovery_threshold) == (45, 2, 3)
    # Each decorated call is one run: in progress, then ok or error, linked by the SDK's check_in_id.
    assert list(nightly.check_ins.order_by("id").values_list("status", "source", "environment", "release")) == [
        ("ok", "sdk", "production", "shop@3.0"),
        ("error", "sdk", "production", "shop@3.0"),
    ]
    assert all(run.duration_seconds is not None for run in nightly.check_ins.all())
    nightly.refresh_from_db()
    assert (nightly.state, nightly.consecutive_failures) == ("failed", 1)
    sync = Monitor.objects.get(project=project, slug="sync-stock")
    assert (sync.schedule_type, sync.interval_value, sync.interval_unit) == ("interval", 10, "minute")
    assert sync.check_ins.get().duration_seconds == 2.5
    assert not Monitor.objects.filter(slug="never-configured").exists()

    # A cron line's curl, against the same server.
    url = f"{tracehound_server.url}/api/{project.id}/heartbeat/sync-stock/{key.public_key}/fail"
    with urlopen(Request(url, data=b"stock feed timed out", method="POST"), timeout=10) as response:
        assert response.status == 200
    failed = sync.check_ins.get(status="error")
    assert (failed.source, failed.body) == ("heartbeat", "stock feed timed out")


def test_sentry_sdks_celery_beat_integration_creates_and_checks_in_its_monitors(tracehound_server, project_and_key):
    project, key = project_and_key
    done = subprocess.run(
        [sys.executable, "-c", BEAT, tracehound_server.dsn(key)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr

    def runs():
        finished = CheckIn.objects.filter(monitor__project=project).exclude(status="in_progress")
        return dict(finished.values_list("monitor__slug", "status")) if finished.count() == 2 else None

    assert wait_for(runs) == {"nightly-report": "ok", "sync-stock": "error"}, tracehound_server.log()
    report = Monitor.objects.get(project=project, slug="nightly-report")
    assert (report.schedule_type, report.crontab, report.timezone) == ("crontab", "30 2 * * *", "Europe/Vienna")
    sync = Monitor.objects.get(project=project, slug="sync-stock")
    assert (sync.schedule_type, sync.interval_value, sync.interval_unit) == ("interval", 10, "minute")
