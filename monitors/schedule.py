"""When a monitor's next check-in is due: a crontab in a time zone, or an interval.

Crontabs are evaluated by cronsim (the library healthchecks.io uses) on time zone-aware datetimes, so a tick in a
DST gap or repeat happens as cron would run it there, not an hour off; our own code only validates input and turns
intervals into times. Every time in and out is an aware datetime; stored times are UTC.
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

CRONTAB, INTERVAL = "crontab", "interval"
INTERVAL_UNITS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": None,  # calendar months (see _add_months)
    "year": None,
}
MAX_CRONTAB_LENGTH = 100
MAX_INTERVAL_VALUE = 10_000


class ScheduleError(ValueError):
    """A schedule that cannot be used, with a reason fit to show to whoever sent it."""


def time_zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name or len(name) > 64:
        raise ScheduleError("time zone must be an IANA name such as Europe/Vienna")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {name!r}") from None


@dataclass(frozen=True)
class Schedule:
    kind: str  # CRONTAB or INTERVAL
    crontab: str = ""
    interval_value: int = 0
    interval_unit: str = ""
    timezone: str = "UTC"

    def __post_init__(self):
        tz = time_zone(self.timezone)
        if self.kind == CRONTAB:
            if not isinstance(self.crontab, str) or not self.crontab.strip():
                raise ScheduleError("crontab is empty")
            if len(self.crontab) > MAX_CRONTAB_LENGTH:
                raise ScheduleError(f"crontab longer than {MAX_CRONTAB_LENGTH} characters")
            try:
                next(CronSim(self.crontab, datetime.now(tz)))
            except (CronSimError, StopIteration) as error:
                raise ScheduleError(f"invalid crontab {self.crontab!r}: {error}") from None
        elif self.kind == INTERVAL:
            if type(self.interval_value) is not int or not 1 <= self.interval_value <= MAX_INTERVAL_VALUE:
                raise ScheduleError(f"interval must be a whole number from 1 to {MAX_INTERVAL_VALUE}")
            if self.interval_unit not in INTERVAL_UNITS:
                raise ScheduleError(f"interval unit must be one of {', '.join(INTERVAL_UNITS)}")
        else:
            raise ScheduleError("schedule type must be 'crontab' or 'interval'")

    def next_after(self, moment: datetime) -> datetime:
        """The first scheduled time strictly after `moment`, in UTC."""
        if self.kind == CRONTAB:
            local = moment.astimezone(ZoneInfo(self.timezone)).replace(microsecond=0)
            tick = next(CronSim(self.crontab, local))
            if tick <= moment:  # cronsim works in whole seconds
                tick = next(CronSim(self.crontab, tick))
            return tick.astimezone(UTC)
        step = INTERVAL_UNITS[self.interval_unit]
        if step is not None:
            return (moment + step * self.interval_value).astimezone(UTC)
        months = self.interval_value * (12 if self.interval_unit == "year" else 1)
        return _add_months(moment.astimezone(ZoneInfo(self.timezone)), months).astimezone(UTC)

    def describe(self) -> str:
        if self.kind == CRONTAB:
            return f"{self.crontab} ({self.timezone})"
        unit = self.interval_unit + ("s" if self.interval_value != 1 else "")
        return f"every {self.interval_value} {unit}"


def _add_months(moment: datetime, months: int) -> datetime:
    """The same local time `months` later, on the month's last day when it is shorter (Jan 31 + 1 = Feb 28)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def from_sentry_config(schedule: object, timezone: object) -> Schedule:
    """A Schedule from the `schedule` and `timezone` of a Sentry `monitor_config`."""
    if not isinstance(schedule, dict):
        raise ScheduleError("monitor_config.schedule must be an object")
    kind = schedule.get("type")
    tz = "UTC" if timezone in (None, "") else timezone
    if not isinstance(tz, str):
        raise ScheduleError("time zone must be an IANA name such as Europe/Vienna")
    if kind == CRONTAB:
        return Schedule(CRONTAB, crontab=schedule.get("value"), timezone=tz)
    if kind == INTERVAL:
        return Schedule(INTERVAL, interval_value=schedule.get("value"), interval_unit=schedule.get("unit"), timezone=tz)
    raise ScheduleError("monitor_config.schedule.type must be 'crontab' or 'interval'")
