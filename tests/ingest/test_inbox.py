"""The inbox writer's group commits, and telling digest about committed events: at once for the first batch,
then at most every SIGNAL_SECONDS, and nothing held back is lost."""

import asyncio
import time
import uuid
from datetime import UTC, datetime

import orjson
import pytest

from ingest import inbox
from ingest.inbox import COMMIT_DELAY_SECONDS, SIGNAL_SECONDS, DigestSignal, InboxWriter
from ingest.rows import InboxRow
from issues.models import InboxItem


def test_digest_is_signalled_at_once_then_held_back_within_the_interval_and_sent_after_it(monkeypatch):
    sent = []
    monkeypatch.setattr(inbox.handoff, "events_accepted", sent.append)
    signal = DigestSignal()
    signal.events_committed({1, 2})
    assert sorted(sent) == [1, 2]
    signal.events_committed({1, 3})  # project 1 was signalled a moment ago; project 3 never was
    assert sorted(sent) == [1, 2, 3]
    signal.send_held()  # still within the interval: project 1 stays held
    assert sorted(sent) == [1, 2, 3]
    time.sleep(SIGNAL_SECONDS)
    signal.send_held()
    assert sorted(sent) == [1, 1, 2, 3]
    signal.send_held()  # nothing is held any more
    assert sorted(sent) == [1, 1, 2, 3]


@pytest.fixture
def commits(monkeypatch):
    """The requests (row counts) of each commit the writer makes, recorded around the real insert."""
    seen = []
    real_write = InboxWriter._write

    def recording_write(self, batch):
        seen.append(len(batch))
        real_write(self, batch)

    monkeypatch.setattr(InboxWriter, "_write", recording_write)
    return seen


def inbox_rows(project_id: int, n: int) -> list[list[InboxRow]]:
    return [
        [InboxRow(project_id, "event", event_id, datetime.now(UTC), orjson.dumps({"event_id": event_id.hex}))]
        for event_id in (uuid.uuid4() for _ in range(n))
    ]


# Long enough that a slow moment of the machine cannot pass for a client that did not come back.
TEST_COMMIT_DELAY = 0.1


@pytest.fixture
def long_commit_delay(monkeypatch):
    monkeypatch.setattr(inbox, "COMMIT_DELAY_SECONDS", TEST_COMMIT_DELAY)


async def keep_alive_clients(writer: InboxWriter, project_id: int, requests: list[int]) -> None:
    """Clients that start together, then each send their next event once the previous one is answered, client n
    after n eighths of the commit delay (the loop reads them one after the other); client n sends requests[n]."""

    async def client(n: int, count: int) -> None:
        for index, rows in enumerate(inbox_rows(project_id, count)):
            if index:
                await asyncio.sleep(n * inbox.COMMIT_DELAY_SECONDS / 8)
            assert await writer.submit(rows)

    await asyncio.gather(*(client(n, count) for n, count in enumerate(requests)))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("long_commit_delay")
def test_requests_answered_together_are_committed_together_when_they_come_back(project, commits):
    writer = InboxWriter()
    try:
        asyncio.run(keep_alive_clients(writer, project.id, requests=[12, 12, 12]))
    finally:
        writer.stop()
    assert InboxItem.objects.filter(project=project).count() == 36
    # Once requests have been outstanding together they are waited for: after the first commits, all three ride
    # in one commit (the last may carry fewer, as the clients finish).
    assert commits[-10:-1] == [3] * 9, commits


@pytest.mark.django_db(transaction=True)
def test_a_lone_client_never_waits(project, commits):
    writer = InboxWriter()
    try:
        started = time.monotonic()
        asyncio.run(keep_alive_clients(writer, project.id, requests=[20]))
        per_request = (time.monotonic() - started) / 20
    finally:
        writer.stop()
    assert commits == [1] * 20
    assert per_request < COMMIT_DELAY_SECONDS + 0.05


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("long_commit_delay")
def test_when_a_client_leaves_the_others_stop_waiting_for_it(project, commits):
    writer = InboxWriter()
    try:
        started = time.monotonic()
        asyncio.run(keep_alive_clients(writer, project.id, requests=[20, 20, 4]))
        elapsed = time.monotonic() - started
    finally:
        writer.stop()
    assert InboxItem.objects.filter(project=project).count() == 44
    assert 3 in commits  # the three were committed together while the third was there
    # Then the two that stayed: one wait runs out, after which they are not kept waiting for the third (sixteen
    # more rounds of waiting would take 1.6 s).
    assert commits.count(2) >= 12, commits
    assert elapsed < 8 * TEST_COMMIT_DELAY
