"""How notify is woken: the embedded thread, or one coalesced Celery task on the alerts' own queue."""

import pytest
from django.conf import settings

from issues.models import IssueTransition
from issues.signals import transitions_committed
from notify.runner import notify_thread
from notify.tasks import QUEUED_FLAG


@pytest.mark.skipif(settings.CELERY_TASK_ALWAYS_EAGER, reason="production shape: a real broker")
def test_a_burst_of_committed_transitions_queues_one_task_on_the_alerts_queue():
    import redis
    from django.core.cache import cache

    from config.celery import app

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    app.control.purge()
    broker.delete("notify")  # what earlier tests' digests queued (purge empties only the default queue)
    cache.delete(QUEUED_FLAG)
    try:
        for n in range(50):
            transitions_committed.send(sender=IssueTransition, transition_ids=[n])
        # On its own queue, where the notifier worker takes it: never behind digest's tasks, nor they behind it.
        assert (broker.llen("notify"), broker.llen("celery")) == (1, 0)
    finally:
        app.control.purge()
        broker.delete("notify")
        cache.delete(QUEUED_FLAG)


@pytest.mark.skipif(not settings.CELERY_TASK_ALWAYS_EAGER, reason="embedded shape: a thread of the web process")
def test_committed_transitions_wake_the_embedded_thread(monkeypatch):
    woken = []
    monkeypatch.setattr(notify_thread, "wake", lambda: woken.append(True))
    transitions_committed.send(sender=IssueTransition, transition_ids=[1])
    assert woken == [True]
