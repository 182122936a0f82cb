"""The production shape's notify: a Celery task requested when digest commits transitions (coalesced, like
digest's: one queued at a time), and the beat sweep, which also catches what a lost wake-up left."""

from celery import shared_task
from django.core.cache import cache

from notify.rounds import notify_round

QUEUED_FLAG = "tracehound:notify:queued"
QUEUED_FLAG_SECONDS = 60


def request_notify() -> None:
    """Make sure a notify task is queued. Raises when cache or broker are unreachable (callers decide)."""
    if cache.add(QUEUED_FLAG, 1, QUEUED_FLAG_SECONDS):
        try:
            run_notify.apply_async(retry=False)
        except Exception:
            cache.delete(QUEUED_FLAG)
            raise


@shared_task(ignore_result=True)
def run_notify() -> None:
    cache.delete(QUEUED_FLAG)
    notify_round()


@shared_task(ignore_result=True)
def sweep_notify() -> None:
    notify_round()
