"""Event quotas per project and per key, per minute and per hour, decided before a body is read.

Fixed windows (a minute, an hour) counted in the Django cache, so that every web process shares one count (Redis
in production, process memory in the embedded default). The request path never waits for the cache: it decides
from the shared count last seen plus what this process admitted since, and the inbox writer's thread pushes this
process's increments to the cache and reads the total back a few times a second (`sync`). Several processes may
therefore overshoot a quota by what they admit within one sync interval, a fair price for no network round trip
per event.
"""

import logging
import math
import threading
import time
from collections import Counter

from django.core.cache import cache

from ingest.errors import RateLimited
from projects.keys import KeyGrant
from projects.options import option
from projects.outage_log import OutageLog

log = logging.getLogger(__name__)
quota_outage = OutageLog(
    log, "ingest: sharing quota counts through the cache (deciding from this process's counts meanwhile)"
)

SYNC_SECONDS = 0.25


def _defaults() -> dict:
    return option("QUOTAS")


class QuotaGate:
    def __init__(self):
        self._lock = threading.Lock()
        self._shared: dict[str, int] = {}  # cache key -> total last read from the cache
        self._pending: Counter = Counter()  # admitted here, not yet added to the cache
        self._in_flight: Counter = Counter()  # being added to the cache right now
        self._last_sync = 0.0

    def _limits(self, grant: KeyGrant):
        defaults = _defaults()
        yield "project", grant.project_id, 60, grant.project_events_per_minute, defaults["PROJECT_EVENTS_PER_MINUTE"]
        yield "project", grant.project_id, 3600, grant.project_events_per_hour, defaults["PROJECT_EVENTS_PER_HOUR"]
        yield "key", grant.key_id, 60, grant.key_events_per_minute, defaults["KEY_EVENTS_PER_MINUTE"]
        yield "key", grant.key_id, 3600, grant.key_events_per_hour, defaults["KEY_EVENTS_PER_HOUR"]

    def admit(self, grant: KeyGrant) -> None:
        """Count one request against every quota that applies, or raise RateLimited when one is used up."""
        now = time.time()
        keys, retry_after, scope = [], 0, ""
        with self._lock:
            for quota_scope, ident, window, own, default in self._limits(grant):
                limit = own if own is not None else default
                if limit is None:
                    continue
                start = int(now // window)
                key = f"tracehound:quota:{quota_scope}:{ident}:{window}:{start}"
                used = self._shared.get(key, 0) + self._in_flight[key] + self._pending[key]
                if used >= limit:
                    wait = max(1, math.ceil((start + 1) * window - now))
                    if wait > retry_after:
                        retry_after, scope = wait, quota_scope
                keys.append(key)
            if retry_after:
                raise RateLimited(retry_after, scope)
            for key in keys:
                self._pending[key] += 1

    def sync_if_due(self) -> None:
        if time.monotonic() - self._last_sync >= SYNC_SECONDS:
            self.sync()

    def sync(self) -> None:
        """Add this process's admissions to the shared counts and read the totals back."""
        self._last_sync = time.monotonic()
        now = time.time()
        with self._lock:
            self._in_flight, self._pending = self._pending, Counter()
            in_flight = dict(self._in_flight)
            # Windows that have ended are forgotten; their cache keys expire on their own.
            current = [key for key in self._shared if self._window_open(key, now)]
        totals: dict[str, int] = {}
        try:
            for key, n in in_flight.items():
                window = int(key.rsplit(":", 2)[1])
                cache.add(key, 0, timeout=window + 60)
                totals[key] = cache.incr(key, n)
            idle = [key for key in current if key not in totals]
            if idle:
                totals.update(cache.get_many(idle))
        except Exception as error:
            quota_outage.failed(error)
            with self._lock:
                self._pending.update(self._in_flight)
                self._in_flight = Counter()
            return
        quota_outage.succeeded()
        with self._lock:
            self._shared = {key: value for key, value in self._shared.items() if self._window_open(key, now)}
            self._shared.update(totals)
            self._in_flight = Counter()

    @staticmethod
    def _window_open(key: str, now: float) -> bool:
        window, start = (int(part) for part in key.rsplit(":", 2)[1:])
        return (start + 1) * window > now

    def reset(self) -> None:
        """Forget this process's view (tests start each case from the shared cache only)."""
        with self._lock:
            self._shared.clear()
            self._pending.clear()
            self._in_flight.clear()


gate = QuotaGate()
