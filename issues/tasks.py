"""The production shape's digest: Celery tasks on the worker(s), coalesced so a burst enqueues a handful of tasks.

A flag in the shared cache says "a digest task is queued". `request_digest` enqueues only when it can set the
flag; the task clears it as it starts, so an event accepted after that start enqueues the next task, and no event
waits for the sweep. While a backlog remains (a batch came back full) the running task requests another task,
which brings a second worker in: workers share the backlog through SKIP LOCKED. The beat sweep (every few
seconds) catches anything a lost message or a down broker left behind; the flag expires for the same reason.

A task ends after its first batch that is not full: events committed meanwhile have requested the next task
(ingest signals at most every fraction of a second per project), so under a steady stream each task digests what
arrived since the last one as one batch. A task that looped until the inbox was empty would instead take a
handful of events at a time, paying a batch's fixed cost (claim, look-ups, one statement per table, commit: about
10 ms of CPU) for every few events, and would hold a solo worker from its other tasks (notify) for as long as the
stream lasts.
"""

import logging

from celery import shared_task
from django.core.cache import cache
from django.db import DatabaseError

from issues import retention
from issues.digest import digest_until_empty, pending_events
from projects.outage_log import OutageLog

logger = logging.getLogger(__name__)

digest_outage = OutageLog(logger, "digest")

QUEUED_FLAG = "tracehound:digest:queued"
QUEUED_FLAG_SECONDS = 60


def enqueue_once(task, flag: str, flag_seconds: int = QUEUED_FLAG_SECONDS) -> None:
    """Queue `task` unless the cache `flag` says one is queued already (the task deletes the flag as it starts).
    Raises when cache or broker are unreachable (callers decide)."""
    if cache.add(flag, 1, flag_seconds):
        try:
            # retry=False: publishing must not stall the caller (an ingest request) while the broker is down.
            task.apply_async(retry=False)
        except Exception:
            cache.delete(flag)
            raise


def request_digest() -> None:
    """Make sure a digest task is queued."""
    enqueue_once(digest_pending, QUEUED_FLAG)


@shared_task(ignore_result=True)
def digest_pending() -> None:
    cache.delete(QUEUED_FLAG)
    # Events committed after the flag was cleared requested the next task: this one stops at a short batch.
    try:
        result = digest_until_empty(on_full_batch=request_digest, until_short_batch=True)
    except DatabaseError as error:
        # The events stay pending and the sweep requests a task again: a line now and then, not a traceback per
        # task for as long as the outage lasts.
        digest_outage.failed(error)
        return
    digest_outage.succeeded()
    if result.claimed:
        logger.info(
            "digested %s events (%s new issues, %s duplicates, %s failed)",
            result.stored,
            result.new_issues,
            result.duplicates,
            result.failed,
        )


@shared_task(ignore_result=True)
def sweep_inbox() -> None:
    try:
        pending = pending_events()
    except DatabaseError as error:
        digest_outage.failed(error)
        return
    if pending:
        request_digest()


@shared_task(ignore_result=True)
def sweep_retention() -> None:
    retention.sweep()
