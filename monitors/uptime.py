"""Uptime checks: which are due, running them with bounded concurrency, and judging and recording each result.

A runner claims due checks by moving their `next_check_at` on with a conditional update (two runners never take the
same one), hands the requests to a pool of at most MONITOR_CHECK_CONCURRENCY threads (they wait on the network,
not the CPU), and records the results from its own thread, so the database sees one connection per runner however
many requests are in flight. A runner that claims a check it cannot finish (its process dies) loses only that run:
the check is due again one interval later.
"""

import logging
import queue
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from monitors import incidents
from monitors.http_check import Outcome, fetch
from monitors.models import MAX_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS, UptimeCheck, UptimeResult
from projects.options import option

logger = logging.getLogger(__name__)

STATUS_PART = re.compile(r"([1-5][0-9]{2})(?:-([1-5][0-9]{2}))?")


def parse_statuses(text: str) -> list[tuple[int, int]]:
    """`200-299,301` as [(200, 299), (301, 301)]; ValueError with a reason for anything else."""
    ranges = []
    for part in (text or "").replace(" ", "").split(","):
        match = STATUS_PART.fullmatch(part)
        if match is None:
            raise ValueError(f"expected status codes such as 200-299 or 200,301, not {part!r}")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if high < low:
            raise ValueError(f"the range {part!r} runs backwards")
        ranges.append((low, high))
    return ranges


def check_interval(seconds: int) -> None:
    if not MIN_INTERVAL_SECONDS <= seconds <= MAX_INTERVAL_SECONDS:
        raise ValueError(f"the interval must be from {MIN_INTERVAL_SECONDS} s to {MAX_INTERVAL_SECONDS // 3600} h")


def judge(check: UptimeCheck, outcome: Outcome, now: datetime) -> tuple[bool, str, int | None]:
    """(passed, why not, days until the certificate expires)."""
    days_left = None
    if outcome.certificate_expires_at is not None:
        days_left = (outcome.certificate_expires_at - now) // timedelta(days=1)
    if outcome.failure:
        return False, outcome.failure[:500], days_left
    ranges = parse_statuses(check.expected_statuses)
    if not any(low <= outcome.status <= high for low, high in ranges):
        return False, f"answered {outcome.status}, expected {check.expected_statuses}", days_left
    if check.keyword and check.method != "HEAD":
        found = check.keyword.encode() in outcome.body
        if check.keyword_mode == UptimeCheck.KeywordMode.PRESENT and not found:
            return False, f"keyword '{check.keyword}' missing", days_left
        if check.keyword_mode == UptimeCheck.KeywordMode.ABSENT and found:
            return False, f"keyword '{check.keyword}' present", days_left
    if days_left is not None and days_left < check.certificate_expiry_days:
        return False, f"certificate expires in {days_left} day{'s' if days_left != 1 else ''}", days_left
    return True, "", days_left


def run_check(check: UptimeCheck) -> Outcome:
    body = check.request_body.encode() if check.method == "POST" else b""
    headers = {str(name): str(value) for name, value in (check.request_headers or {}).items()}
    return fetch(check.url, check.method, headers, body, float(check.timeout_seconds), check.follow_redirects)


def record_result(check_id: int, outcome: Outcome, now: datetime | None = None) -> UptimeResult | None:
    """Judge and store one run's outcome, and move the check's state and incident on."""
    now = now or timezone.now()
    with transaction.atomic():
        check = UptimeCheck.objects.select_for_update().filter(id=check_id).first()
        if check is None:
            return None  # deleted while it ran
        passed, reason, days_left = judge(check, outcome, now)
        result = UptimeResult.objects.create(
            uptime_check=check,
            checked_at=now,
            ok=passed,
            status_code=outcome.status,
            response_ms=outcome.response_ms,
            certificate_days_left=days_left,
            reason=reason,
        )
        check.last_checked_at = now
        if outcome.certificate_expires_at is not None:
            check.certificate_expires_at = outcome.certificate_expires_at
        if passed:
            check.state = UptimeCheck.State.UP
            check.consecutive_failures = 0
            check.consecutive_successes += 1
            incidents.after_success(check, now)
        else:
            check.state = UptimeCheck.State.DOWN
            check.consecutive_successes = 0
            check.consecutive_failures += 1
            check.failing_since = check.failing_since or now
            incidents.after_failure(
                check,
                result,
                incidents.earlier_uptime_failures(check, result),
                lambda failure: incidents.uptime_failure(check, failure),
            )
        check.save()
    return result


def due_within(seconds: float) -> bool:
    """Whether any check falls due within `seconds` from now."""
    return UptimeCheck.objects.filter(next_check_at__lte=timezone.now() + timedelta(seconds=seconds)).exists()


def claim_due(limit: int, now: datetime | None = None) -> list[UptimeCheck]:
    """Up to `limit` due checks, each claimed: its next run moved one interval on (from now, when it is late)."""
    now = now or timezone.now()
    claimed = []
    due = UptimeCheck.objects.filter(next_check_at__lte=now).order_by("next_check_at")[:limit]
    for check in due:
        scheduled = check.next_check_at + timedelta(seconds=check.interval_seconds)
        following = scheduled if scheduled > now else now + timedelta(seconds=check.interval_seconds)
        if UptimeCheck.objects.filter(id=check.id, next_check_at=check.next_check_at).update(next_check_at=following):
            claimed.append(check)
    return claimed


class Runner:
    """Runs due checks on a bounded pool; `tick()` records what finished and starts what is due, as far as the
    pool has room. Not thread-safe: one thread ticks it."""

    def __init__(self, concurrency: int | None = None):
        self.concurrency = concurrency or option("MONITOR_CHECK_CONCURRENCY")
        self.pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="tracehound-uptime")
        self.finished: queue.SimpleQueue = queue.SimpleQueue()
        self.in_flight = 0

    def _run(self, check: UptimeCheck) -> None:
        try:
            outcome = run_check(check)
        except Exception as error:  # a bug must cost one run, never the runner
            logger.exception("uptime check %s failed", check.id)
            outcome = Outcome(failure=f"the check could not run ({type(error).__name__})")
        self.finished.put((check.id, outcome))

    def record_finished(self) -> int:
        recorded = 0
        while True:
            try:
                check_id, outcome = self.finished.get_nowait()
            except queue.Empty:
                return recorded
            self.in_flight -= 1
            record_result(check_id, outcome)
            recorded += 1

    def tick(self) -> int:
        """Record finished runs and start due ones; how many were started."""
        self.record_finished()
        room = self.concurrency - self.in_flight
        if room <= 0:
            return 0
        checks = claim_due(room)
        for check in checks:
            self.in_flight += 1
            self.pool.submit(self._run, check)
        return len(checks)

    def drain(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the runs in flight, recording them."""
        deadline = timezone.now() + timedelta(seconds=timeout)
        while self.in_flight and timezone.now() < deadline:
            try:
                check_id, outcome = self.finished.get(timeout=0.2)
            except queue.Empty:
                continue
            self.in_flight -= 1
            record_result(check_id, outcome)
