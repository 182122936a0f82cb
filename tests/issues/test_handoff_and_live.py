"""Hand-off from ingest to digest (thread or coalesced Celery task) and the coalesced live push."""

import time
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from issues import handoff, live
from issues.models import Issue
from issues.runner import BackgroundThread, digest_round, digest_thread
from issues.tasks import QUEUED_FLAG

from ..waiting import wait_for
from .conftest import add_to_inbox, exception_event


@pytest.mark.django_db(transaction=True)
def test_the_digest_thread_digests_what_is_committed_and_stops(project):
    thread = BackgroundThread("test-digest", digest_round, sweep_seconds=1.0)
    thread.start()
    try:
        add_to_inbox(project, exception_event(type_="ThreadError"))
        thread.wake()
        assert wait_for(lambda: Issue.objects.filter(title__startswith="ThreadError").exists(), 5)
    finally:
        thread.stop()
    assert not thread.running


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.CELERY_TASK_ALWAYS_EAGER, reason="embedded shape: the thread is the digest")
def test_events_accepted_wakes_the_embedded_digest_thread(project):
    digest_thread.start()
    try:
        time.sleep(0.2)  # let the first round pass, so only the wake-up below can digest quickly
        add_to_inbox(project, exception_event(type_="WokenError"))
        started = time.monotonic()
        handoff.events_accepted(project.id)
        assert wait_for(lambda: Issue.objects.filter(title__startswith="WokenError").exists(), 5)
        assert time.monotonic() - started < 0.9  # sooner than the thread's own once-a-second look
    finally:
        digest_thread.stop()


def test_events_accepted_without_a_running_digest_is_harmless():
    assert not digest_thread.running
    handoff.events_accepted(1)  # management commands and unit tests: nothing runs, nothing raises


@pytest.mark.skipif(settings.CELERY_TASK_ALWAYS_EAGER, reason="production shape: a real broker")
def test_a_burst_of_events_accepted_enqueues_one_digest_task():
    import redis
    from django.core.cache import cache

    from config.celery import app

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    app.control.purge()
    cache.delete(QUEUED_FLAG)
    try:
        for _ in range(100):
            handoff.events_accepted(1)
        assert broker.llen("celery") == 1
    finally:
        app.control.purge()
        cache.delete(QUEUED_FLAG)


def test_a_broken_broker_never_reaches_the_ingest_request(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(handoff, "request_digest", broken)
    monkeypatch.setattr(handoff.digest_thread, "wake", broken)
    handoff.events_accepted(1)
    assert "the sweep picks the events up later) failed: ConnectionError: broker down" in caplog.text


@pytest.mark.django_db
def test_live_pushes_are_coalesced_to_one_per_second_per_project(django_capture_on_commit_callbacks):
    project_id = uuid.uuid4().int % 1_000_000 + 1_000_000  # fresh per run: the coalescing state is per process
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live.group_name(project_id), channel)

    with django_capture_on_commit_callbacks(execute=True):
        live.project_changed(project_id, [1])
    with django_capture_on_commit_callbacks(execute=True):
        live.project_changed(project_id, [2])
        live.project_changed(project_id, [3, 2])
    time.sleep(1.3)  # the second publish waits out the interval, carrying both later changes

    async def two_messages():
        # One event loop for both: channel layers keep per-loop state, and a test must not depend on it.
        return await layer.receive(channel), await layer.receive(channel)

    first, second = async_to_sync(two_messages)()
    assert first == {"type": "project.changed", "project_id": project_id, "issue_ids": [1]}
    assert second == {"type": "project.changed", "project_id": project_id, "issue_ids": [2, 3]}


@pytest.mark.django_db
def test_no_live_push_before_commit(django_capture_on_commit_callbacks):
    project_id = uuid.uuid4().int % 1_000_000 + 2_000_000
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        live.project_changed(project_id, [1])
    assert len(callbacks) == 1  # deferred to commit, not sent inside the transaction
