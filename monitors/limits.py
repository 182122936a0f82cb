"""A flood of check-ins (a loop gone wrong, a job started every second) is cut off per monitor, so that it costs
neither the database nor the monitor's history of real runs: at most MONITOR_CHECK_INS_PER_MINUTE a minute each.
Counted in the shared cache (Redis in production), in windows of a clock minute."""

from datetime import datetime

from django.core.cache import cache

from monitors.errors import TooManyCheckIns
from projects.options import option


def admit_check_in(monitor_id: int, at: datetime) -> None:
    """Count one check-in for the monitor, made at `at`; raises TooManyCheckIns past the limit of its minute."""
    minute = int(at.timestamp() // 60)
    key = f"tracehound:monitor:{monitor_id}:check-ins:{minute}"
    cache.add(key, 0, 120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, 120)
        count = 1
    limit = option("MONITOR_CHECK_INS_PER_MINUTE")
    if count > limit:
        raise TooManyCheckIns(f"more than {limit} check-ins a minute for this monitor")
