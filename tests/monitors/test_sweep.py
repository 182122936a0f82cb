"""Missed and timed-out detection with a controlled clock, and sweeps that run at once."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from monitors.checkins import CheckInReport, record_check_in
from monitors.models import CheckIn, Monitor, UptimeCheck, UptimeResult
from monitors.sweep import sweep

T0 = datetime(2026, 3, 28, 0, 0, 30, tzinfo=UTC)


def report(status: str, **kwargs) -> CheckInReport:
    return CheckInReport(status=status, source=CheckIn.Source.SDK, **kwargs)


@pytest.fixture
def hourly(project):
    return Monitor.objects.create(
        project=project, name="Hourly", slug="hourly", crontab="0 * * * *", checkin_margin_minutes=5
    )


def test_a_check_in_that_does_not_come_is_missed_after_the_margin(hourly):
    record_check_in(hourly, report("ok"), now=T0)
    hourly.refresh_from_db()
    assert hourly.next_expected_at == datetime(2026, 3, 28, 1, tzinfo=UTC)
    assert sweep(now=datetime(2026, 3, 28, 1, 4, 59, tzinfo=UTC)).missed == 0  # within the margin
    result = sweep(now=datetime(2026, 3, 28, 1, 5, 1, tzinfo=UTC))
    assert (result.missed, result.timed_out) == (1, 0)
    [missed] = CheckIn.objects.filter(monitor=hourly, status="missed")
    assert missed.created_at == datetime(2026, 3, 28, 1, tzinfo=UTC)  # when it was expected
    hourly.refresh_from_db()
    assert (hourly.state, hourly.consecutive_failures) == ("missed", 1)
    # Expected again at the next hour: the same miss is not recorded twice, the next one is.
    assert hourly.next_expected_at == datetime(2026, 3, 28, 2, tzinfo=UTC)
    assert sweep(now=datetime(2026, 3, 28, 1, 30, tzinfo=UTC)).missed == 0
    assert sweep(now=datetime(2026, 3, 28, 2, 6, tzinfo=UTC)).missed == 1
    hourly.refresh_from_db()
    assert hourly.consecutive_failures == 2
    # A check-in ends the failures and sets the next expected time.
    record_check_in(hourly, report("ok"), now=datetime(2026, 3, 28, 2, 10, tzinfo=UTC))
    hourly.refresh_from_db()
    assert (hourly.state, hourly.consecutive_failures, hourly.consecutive_successes) == ("ok", 0, 1)
    assert hourly.next_expected_at == datetime(2026, 3, 28, 3, tzinfo=UTC)


def test_a_monitor_with_no_check_in_yet_is_not_missed(hourly):
    assert sweep(now=T0 + timedelta(days=3)).missed == 0
    assert Monitor.objects.get(id=hourly.id).state == "new"


def test_missed_across_a_dst_change_in_the_monitors_time_zone(project):
    nightly = Monitor.objects.create(
        project=project, name="Nightly", slug="nightly", crontab="30 2 * * *", timezone="Europe/Vienna"
    )
    record_check_in(nightly, report("ok"), now=datetime(2026, 3, 28, 1, 30, tzinfo=UTC))  # 02:30 CET
    nightly.refresh_from_db()
    # 02:30 does not exist on 29 March: cron runs it at 03:00 CEST, 01:00 UTC; missed from 01:01 on.
    assert nightly.next_expected_at == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert sweep(now=datetime(2026, 3, 29, 1, 0, 59, tzinfo=UTC)).missed == 0
    assert sweep(now=datetime(2026, 3, 29, 1, 1, 1, tzinfo=UTC)).missed == 1


def test_a_run_in_progress_past_the_maximum_runtime_times_out(hourly):
    Monitor.objects.filter(id=hourly.id).update(max_runtime_minutes=20)
    run = record_check_in(hourly, report("in_progress"), now=T0)
    assert sweep(now=T0 + timedelta(minutes=19)).timed_out == 0
    result = sweep(now=T0 + timedelta(minutes=21))
    assert result.timed_out == 1
    run.refresh_from_db()
    assert run.status == "timeout" and run.duration_seconds == 21 * 60
    hourly.refresh_from_db()
    assert (hourly.state, hourly.consecutive_failures) == ("timed_out", 1)
    assert sweep(now=T0 + timedelta(minutes=22)).timed_out == 0
    # The job's own `ok`, late, changes nothing: the run timed out.
    record_check_in(hourly, report("ok", check_in_id=run.check_in_id), now=T0 + timedelta(minutes=25))
    run.refresh_from_db()
    assert run.status == "timeout"


def test_a_finished_run_never_times_out(hourly):
    run = record_check_in(hourly, report("in_progress"), now=T0)
    record_check_in(hourly, report("ok", check_in_id=run.check_in_id, duration=12.5), now=T0 + timedelta(minutes=1))
    run.refresh_from_db()
    assert (run.status, run.duration_seconds) == ("ok", 12.5)
    assert sweep(now=T0 + timedelta(minutes=50)).timed_out == 0


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_record_each_miss_and_timeout_once(project):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent sweeps are staged on PostgreSQL (SQLite runs one writer at a time)")
    monitors = [
        Monitor.objects.create(project=project, name=f"m{i}", slug=f"m{i}", crontab="0 * * * *") for i in range(40)
    ]
    for monitor in monitors:
        record_check_in(monitor, report("ok"), now=T0)
    runs = [record_check_in(monitor, report("in_progress"), now=T0 + timedelta(minutes=10)) for monitor in monitors]
    later = T0 + timedelta(hours=1, minutes=5)  # every monitor missed, every run past 30 minutes
    barrier = threading.Barrier(4)
    results, errors = [], []

    def run_sweep():
        try:
            barrier.wait()
            results.append(sweep(now=later))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(r.missed for r in results) == 40 and sum(r.timed_out for r in results) == 40
    assert CheckIn.objects.filter(status="missed").count() == 40
    assert CheckIn.objects.filter(id__in=[r.id for r in runs], status="timeout").count() == 40
    # Each monitor counts each of its two failures once.
    assert set(Monitor.objects.values_list("consecutive_failures", flat=True)) == {2}


def test_the_sweep_deletes_history_past_its_keeping_time(hourly):
    now = datetime(2026, 6, 1, tzinfo=UTC)
    for days in (40, 32, 30, 1):
        CheckIn.objects.create(monitor=hourly, status="ok", source="http", created_at=now - timedelta(days=days))
    check = UptimeCheck.objects.create(project=hourly.project, name="x", url="https://example.com/")
    for days in (33, 2):
        UptimeResult.objects.create(uptime_check=check, ok=True, checked_at=now - timedelta(days=days))
    assert sweep(now=now).deleted == 3
    assert sorted((now - c.created_at).days for c in CheckIn.objects.all()) == [1, 30]
    assert [(now - r.checked_at).days for r in UptimeResult.objects.all()] == [2]
