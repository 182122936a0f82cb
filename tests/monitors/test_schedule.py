"""Crontabs with time zones (DST gaps and repeats), intervals, and the schedules that are refused."""

from datetime import UTC, datetime

import pytest

from monitors.schedule import CRONTAB, INTERVAL, Schedule, ScheduleError, from_sentry_config


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ticks(schedule: Schedule, start: datetime, n: int) -> list[datetime]:
    out, moment = [], start
    for _ in range(n):
        moment = schedule.next_after(moment)
        out.append(moment)
    return out


def test_a_crontab_is_read_in_its_time_zone():
    hourly = Schedule(CRONTAB, crontab="15 * * * *")
    assert hourly.next_after(utc(2026, 1, 5, 10, 15)) == utc(2026, 1, 5, 11, 15)  # strictly after
    assert hourly.next_after(utc(2026, 1, 5, 10, 14, 59, 500_000)) == utc(2026, 1, 5, 10, 15)
    nightly = Schedule(CRONTAB, crontab="0 3 * * *", timezone="Asia/Tokyo")
    assert nightly.next_after(utc(2026, 1, 5, 12)) == utc(2026, 1, 5, 18)  # 03:00 in Tokyo is 18:00 UTC


def test_a_job_in_the_spring_dst_gap_runs_once_that_night_at_the_end_of_the_gap():
    # 02:30 does not exist in Vienna on 29 March 2026: clocks go from 02:00 to 03:00.
    schedule = Schedule(CRONTAB, crontab="30 2 * * *", timezone="Europe/Vienna")
    assert ticks(schedule, utc(2026, 3, 28, 12), 3) == [
        utc(2026, 3, 29, 1, 0),  # 03:00 CEST
        utc(2026, 3, 30, 0, 30),  # 02:30 CEST
        utc(2026, 3, 31, 0, 30),
    ]


def test_a_job_in_the_autumn_dst_repeat_runs_once_not_twice():
    # 02:30 happens twice in Vienna on 25 October 2026 (CEST, then CET).
    schedule = Schedule(CRONTAB, crontab="30 2 * * *", timezone="Europe/Vienna")
    assert ticks(schedule, utc(2026, 10, 24, 12), 2) == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_an_hourly_job_across_new_yorks_spring_change_keeps_each_real_hour():
    schedule = Schedule(CRONTAB, crontab="0 * * * *", timezone="America/New_York")
    # 8 March 2026: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    assert ticks(schedule, utc(2026, 3, 8, 5, 30), 3) == [utc(2026, 3, 8, 6), utc(2026, 3, 8, 7), utc(2026, 3, 8, 8)]


def test_intervals_in_fixed_units_and_in_calendar_months():
    assert Schedule(INTERVAL, interval_value=90, interval_unit="minute").next_after(utc(2026, 1, 1)) == utc(
        2026, 1, 1, 1, 30
    )
    monthly = Schedule(INTERVAL, interval_value=1, interval_unit="month")
    assert monthly.next_after(utc(2026, 1, 31, 8)) == utc(2026, 2, 28, 8)  # the month's last day
    assert Schedule(INTERVAL, interval_value=1, interval_unit="year").next_after(utc(2028, 2, 29)) == utc(2029, 2, 28)
    # A daily interval in a time zone is 24 real hours; a monthly one keeps the local time across DST.
    vienna_monthly = Schedule(INTERVAL, interval_value=1, interval_unit="month", timezone="Europe/Vienna")
    assert vienna_monthly.next_after(utc(2026, 3, 15, 11)) == utc(2026, 4, 15, 10)  # 12:00 CET, then 12:00 CEST


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"kind": CRONTAB, "crontab": "61 * * * *"}, "invalid crontab '61 * * * *'"),
        ({"kind": CRONTAB, "crontab": "* * *"}, "invalid crontab '* * *'"),
        ({"kind": CRONTAB, "crontab": "0 0 30 2 *"}, "invalid crontab '0 0 30 2 *'"),  # 30 February never comes
        ({"kind": CRONTAB, "crontab": ""}, "crontab is empty"),
        ({"kind": CRONTAB, "crontab": "* " * 60}, "crontab longer than 100 characters"),
        ({"kind": CRONTAB, "crontab": "* * * * *", "timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"kind": CRONTAB, "crontab": "* * * * *", "timezone": "../../etc/passwd"}, "unknown time zone"),
        ({"kind": CRONTAB, "crontab": "* * * * *", "timezone": ""}, "time zone must be an IANA name"),
        ({"kind": INTERVAL, "interval_value": 0, "interval_unit": "hour"}, "interval must be a whole number"),
        ({"kind": INTERVAL, "interval_value": 2, "interval_unit": "fortnight"}, "interval unit must be one of"),
        ({"kind": "sometimes"}, "schedule type must be 'crontab' or 'interval'"),
    ],
)
def test_bad_schedules_are_refused_with_a_reason(kwargs, reason):
    with pytest.raises(ScheduleError) as refused:
        Schedule(**kwargs)
    assert str(refused.value).startswith(reason)


def test_sentry_monitor_config_schedules():
    assert from_sentry_config({"type": "crontab", "value": "0 * * * *"}, None) == Schedule(CRONTAB, "0 * * * *")
    assert from_sentry_config({"type": "interval", "value": 10, "unit": "minute"}, "Europe/Vienna") == Schedule(
        INTERVAL, interval_value=10, interval_unit="minute", timezone="Europe/Vienna"
    )
    for schedule, timezone in (("0 * * * *", None), ({"type": "crontab", "value": "0 * * * *"}, 7)):
        with pytest.raises(ScheduleError):
            from_sentry_config(schedule, timezone)
