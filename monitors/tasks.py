"""The production shape's monitors: a Celery task requested when ingest commits check-ins (coalesced, one queued at
a time, like digest's), and the beat sweep, which also applies check-ins a lost wake-up left."""

import time

from celery import shared_task
from django.core.cache import cache

from issues.tasks import enqueue_once
from monitors.inbox import apply_until_empty
from monitors.models import MAX_TIMEOUT_SECONDS
from monitors.rounds import monitors_round
from monitors.uptime import Runner, due_within

QUEUED_FLAG = "tracehound:monitors:queued"


def request_check_ins() -> None:
    """Make sure a task that applies waiting check-ins is queued."""
    enqueue_once(apply_check_ins, QUEUED_FLAG)


@shared_task(ignore_result=True)
def apply_check_ins() -> None:
    cache.delete(QUEUED_FLAG)
    apply_until_empty()


@shared_task(ignore_result=True)
def sweep_monitors() -> None:
    monitors_round()


# A task starts checks for a little less than beat's period, then waits for those in flight (at most the longest
# timeout), so that tasks overlap rather than leave a gap; claims keep them from running a check twice. With nothing
# running and nothing due before its time is up, it ends at once (an installation without uptime checks pays one
# query per beat).
UPTIME_TASK_SECONDS = 4.5
UPTIME_TICK_SECONDS = 0.25


@shared_task(ignore_result=True)
def run_uptime_checks() -> None:
    runner = Runner()
    try:
        until = time.monotonic() + UPTIME_TASK_SECONDS
        while time.monotonic() < until:
            if not runner.tick() and not runner.in_flight and not due_within(until - time.monotonic()):
                break
            time.sleep(UPTIME_TICK_SECONDS)
        runner.drain(MAX_TIMEOUT_SECONDS + 5)
    finally:
        runner.pool.shutdown(wait=False)
