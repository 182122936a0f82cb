"""The production shape's monitors: a Celery task requested when ingest commits check-ins (coalesced, one queued at
a time, like digest's), and the beat sweep, which also applies check-ins a lost wake-up left."""

from celery import shared_task
from django.core.cache import cache

from issues.tasks import enqueue_once
from monitors.inbox import apply_until_empty
from monitors.rounds import monitors_round

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
