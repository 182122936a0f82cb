"""Check-ins that came in Sentry envelopes, read from ingest's inbox."""

import uuid
from datetime import UTC, datetime, timedelta

import orjson

from issues.models import InboxItem
from monitors.inbox import apply_pending
from monitors.models import CheckIn, Monitor

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOURLY = {"schedule": {"type": "crontab", "value": "0 * * * *"}, "timezone": "Europe/Vienna", "max_runtime": 5}


def inbox_check_in(project, at=T0, raw: bytes | None = None, **item) -> InboxItem:
    payload = raw if raw is not None else orjson.dumps(item)
    return InboxItem.objects.create(
        project=project, item_type="check_in", event_id=uuid.uuid4(), received_at=at, payload=InboxItem.pack(payload)
    )


def test_a_monitor_config_creates_the_monitor_and_runs_are_linked_by_their_id(project):
    run_id = uuid.uuid4().hex
    inbox_check_in(project, monitor_slug="nightly", check_in_id=run_id, status="in_progress", monitor_config=HOURLY)
    inbox_check_in(
        project,
        at=T0 + timedelta(seconds=40),
        monitor_slug="nightly",
        check_in_id=run_id,
        status="ok",
        duration=38.5,
        environment="production",
        release="shop@2.1",
        monitor_config=HOURLY,
    )
    assert apply_pending() == 2
    assert not InboxItem.objects.exists()
    monitor = Monitor.objects.get(project=project, slug="nightly")
    assert (monitor.crontab, monitor.timezone, monitor.max_runtime_minutes) == ("0 * * * *", "Europe/Vienna", 5)
    [run] = CheckIn.objects.filter(monitor=monitor)
    assert (run.status, run.source, run.duration_seconds) == ("ok", "sdk", 38.5)
    assert run.created_at == T0 and run.check_in_id.hex == run_id  # the time ingest received it, not now
    assert (monitor.state, monitor.next_expected_at) == ("ok", T0 + timedelta(hours=1))


def test_refused_check_ins_are_dropped_and_leave_no_monitor(project):
    inbox_check_in(project, monitor_slug="unknown", status="ok")  # no such monitor, no config
    inbox_check_in(project, monitor_slug="bad", status="ok", monitor_config={"schedule": {"type": "crontab"}})
    bad_zone = {**HOURLY, "timezone": "Nowhere/Special"}
    inbox_check_in(project, monitor_slug="zone", status="ok", monitor_config=bad_zone)
    inbox_check_in(project, monitor_slug="nightly", status="finished", monitor_config=HOURLY)
    inbox_check_in(project, raw=b'["not", "an object"]')
    assert apply_pending() == 5
    assert not InboxItem.objects.exists()
    assert not Monitor.objects.exists()


def test_a_check_in_that_fails_unexpectedly_is_set_aside_with_its_reason(project):
    broken = inbox_check_in(project, raw=b"{not json")  # ingest never stores this: a damaged row
    inbox_check_in(project, monitor_slug="nightly", status="ok", monitor_config=HOURLY)
    assert apply_pending() == 2
    broken.refresh_from_db()
    assert broken.set_aside and broken.last_error.startswith("JSONDecodeError")
    assert CheckIn.objects.count() == 1
    assert apply_pending() == 0  # set aside: not taken again


def test_a_flood_of_envelope_check_ins_is_cut_off_per_monitor(project, settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "MONITOR_CHECK_INS_PER_MINUTE": 5}
    for n in range(8):
        inbox_check_in(
            project, at=T0 + timedelta(seconds=n), monitor_slug="nightly", status="ok", monitor_config=HOURLY
        )
    assert apply_pending() == 8
    assert not InboxItem.objects.exists()
    assert CheckIn.objects.count() == 5
