"""What the monitors page shows of each cron monitor (its last check-ins as a strip, uptime over 24 hours, 7 and 30
days, the snippets that report to it) and of each uptime check (its last results, uptime, response times). A cron
monitor's uptime is the share of successful runs among those that ended (ok, failed, timed out, missed) in the
period, an uptime check's the share of checks that passed; a period with none shows no figure."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.safestring import SafeString

from frontend.charts import sparkline
from monitors.models import CheckIn, Monitor, UptimeCheck, UptimeResult
from projects.options import option

STRIP_LENGTH = 50
UPTIME_PERIODS = (("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), ("30d", timedelta(days=30)))
ENDED = (CheckIn.Status.OK, CheckIn.Status.ERROR, CheckIn.Status.TIMEOUT, CheckIn.Status.MISSED)


@dataclass
class MonitorRow:
    monitor: Monitor
    strip: list[CheckIn]  # oldest first
    uptime: dict[str, float | None]  # period name -> percent


def uptimes(monitors: list[Monitor], now=None) -> dict[int, dict[str, float | None]]:
    """Uptime per monitor and period, in one query."""
    now = now or timezone.now()
    aggregates = {}
    for name, length in UPTIME_PERIODS:
        since = Q(created_at__gte=now - length)
        aggregates[f"ok_{name}"] = Count("id", filter=since & Q(status=CheckIn.Status.OK))
        aggregates[f"all_{name}"] = Count("id", filter=since)
    rows = (
        CheckIn.objects.filter(monitor__in=monitors, status__in=ENDED, created_at__gte=now - UPTIME_PERIODS[-1][1])
        .values("monitor_id")
        .annotate(**aggregates)
    )
    found = {row["monitor_id"]: row for row in rows}
    result = {}
    for monitor in monitors:
        row = found.get(monitor.id, {})
        result[monitor.id] = {
            name: (100.0 * row[f"ok_{name}"] / row[f"all_{name}"]) if row.get(f"all_{name}") else None
            for name, _ in UPTIME_PERIODS
        }
    return result


def monitor_rows(monitors: list[Monitor]) -> list[MonitorRow]:
    shares = uptimes(monitors)
    rows = []
    for monitor in monitors:
        latest = monitor.check_ins.order_by("-created_at", "-id")[:STRIP_LENGTH]
        rows.append(MonitorRow(monitor, list(reversed(latest)), shares[monitor.id]))
    return rows


def check_in_urls(monitor: Monitor, public_key: str) -> dict[str, str]:
    base = f"{option('BASE_URL')}/api/{monitor.project_id}"
    return {
        "cron": f"{base}/cron/{monitor.slug}/{public_key}/",
        "heartbeat": f"{base}/heartbeat/{monitor.slug}/{public_key}/",
    }


def crontab_line(monitor: Monitor, public_key: str) -> str:
    """A crontab line that runs a job and reports its start, success or failure with curl."""
    urls = check_in_urls(monitor, public_key)
    when = monitor.crontab if monitor.schedule_type == Monitor.ScheduleType.CRONTAB else "* * * * *"
    curl = "curl -fsS -m 10 --retry 3 -o /dev/null"
    zone = f"CRON_TZ={monitor.timezone}\n" if monitor.timezone != "UTC" else ""
    return (
        f'{zone}{when} {curl} "{urls["cron"]}?status=in_progress"; /path/to/job.sh'
        f' && {curl} "{urls["cron"]}?status=ok" || {curl} "{urls["cron"]}?status=error"'
    )


def sdk_snippet(monitor: Monitor) -> str:
    return f'from sentry_sdk.crons import monitor\n\n\n@monitor(monitor_slug="{monitor.slug}")\ndef job():\n    ...\n'


def celery_beat_snippet(monitor: Monitor) -> str:
    """Celery beat settings whose entry name is the monitor's slug (the name sentry-sdk reports it under)."""
    if monitor.schedule_type == Monitor.ScheduleType.CRONTAB:
        fields = monitor.crontab.split()
        names = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
        schedule = "crontab(" + ", ".join(f'{n}="{v}"' for n, v in zip(names, fields, strict=False)) + ")"
    else:
        unit_seconds = {"minute": 60, "hour": 3600, "day": 86400, "week": 604800}.get(monitor.interval_unit)
        # Months and years have no fixed length: beat has no such interval, so the snippet leaves it to be chosen.
        schedule = f"{(monitor.interval_value or 0) * unit_seconds}.0" if unit_seconds else "crontab(...)"
    return (
        "import sentry_sdk\n"
        "from celery.schedules import crontab\n"
        "from sentry_sdk.integrations.celery import CeleryIntegration\n\n"
        'sentry_sdk.init(dsn="...", integrations=[CeleryIntegration(monitor_beat_tasks=True)])\n\n'
        f'CELERY_TIMEZONE = "{monitor.timezone}"\n'
        "CELERY_BEAT_SCHEDULE = {\n"
        f'    "{monitor.slug}": {{"task": "myapp.tasks.job", "schedule": {schedule}}},\n'
        "}\n"
    )


@dataclass
class UptimeRow:
    check: UptimeCheck
    strip: list[UptimeResult]  # oldest first
    uptime: dict[str, float | None]
    response_times: SafeString  # sparkline of the strip's response times


def uptime_shares(checks: list[UptimeCheck], now=None) -> dict[int, dict[str, float | None]]:
    """Share of passed checks per check and period, in one query."""
    now = now or timezone.now()
    aggregates = {}
    for name, length in UPTIME_PERIODS:
        since = Q(checked_at__gte=now - length)
        aggregates[f"ok_{name}"] = Count("id", filter=since & Q(ok=True))
        aggregates[f"all_{name}"] = Count("id", filter=since)
    rows = (
        UptimeResult.objects.filter(uptime_check__in=checks, checked_at__gte=now - UPTIME_PERIODS[-1][1])
        .values("uptime_check_id")
        .annotate(**aggregates)
    )
    found = {row["uptime_check_id"]: row for row in rows}
    return {
        check.id: {
            name: (100.0 * found[check.id][f"ok_{name}"] / found[check.id][f"all_{name}"])
            if found.get(check.id, {}).get(f"all_{name}")
            else None
            for name, _ in UPTIME_PERIODS
        }
        for check in checks
    }


def uptime_rows(checks: list[UptimeCheck]) -> list[UptimeRow]:
    shares = uptime_shares(checks)
    rows = []
    for check in checks:
        strip = list(reversed(check.results.order_by("-checked_at", "-id")[:STRIP_LENGTH]))
        times = [round(result.response_ms or 0) for result in strip]
        rows.append(
            UptimeRow(
                check,
                strip,
                shares[check.id],
                sparkline(times, label=f"response times of the last {len(times)} checks"),
            )
        )
    return rows
