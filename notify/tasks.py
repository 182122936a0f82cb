"""The production shape's notify: a Celery task requested when digest commits transitions (coalesced, like
digest's: one queued at a time), and the beat sweep, which also catches what a lost wake-up left."""

from celery import shared_task
from django.core.cache import cache

from issues.tasks import enqueue_once
from notify.rounds import notify_round

QUEUED_FLAG = "tracehound:notify:queued"


def request_notify() -> None:
    """Make sure a notify task is queued."""
    enqueue_once(run_notify, QUEUED_FLAG)


@shared_task(ignore_result=True)
def run_notify() -> None:
    cache.delete(QUEUED_FLAG)
    notify_round()


@shared_task(ignore_result=True)
def sweep_notify() -> None:
    notify_round()
