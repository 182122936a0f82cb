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


async def keep_alive_clients(writer: InboxWriter, project_id: int, clients: int, requests: int) -> None:
    """Clients that each send their next event as soon as the previous one is answered, client n after n quarters
    of the commit delay (the loop reads them one after the other)."""

    async def client(n: int) -> None:
        for rows in inbox_rows(project_id, requests):
            await asyncio.sleep(n * COMMIT_DELAY_SECONDS / 4)
            assert await writer.submit(rows)

    await asyncio.gather(*(client(n) for n in range(clients)))


@pytest.mark.django_db(transaction=True)
def test_requests_answered_together_are_committed_together_when_they_come_back(project, commits):
    writer = InboxWriter()
    try:
        asyncio.run(keep_alive_clients(writer, project.id, clients=3, requests=12))
    finally:
        writer.stop()
    assert InboxItem.objects.filter(project=project).count() == 36
    # Once a commit has carried more than one request, the requests it answered are waited for: after the first
    # few commits, nearly all carry all three.
    settled = commits[6:]
    assert settled.count(3) >= len(settled) * 0.75, commits


@pytest.mark.django_db(transaction=True)
def test_a_lone_client_never_waits(project, commits):
    writer = InboxWriter()
    try:
        started = time.monotonic()
        asyncio.run(keep_alive_clients(writer, project.id, clients=1, requests=20))
        per_request = (time.monotonic() - started) / 20
    finally:
        writer.stop()
    assert commits == [1] * 20
    assert per_request < COMMIT_DELAY_SECONDS + 0.05


@pytest.mark.django_db(transaction=True)
def test_a_request_that_does_not_come_back_delays_the_others_by_the_commit_delay_at_most(project, commits):
    writer = InboxWriter()
    try:
        asyncio.run(keep_alive_clients(writer, project.id, clients=3, requests=6))
        assert commits[-1] > 1
        started = time.monotonic()
        asyncio.run(keep_alive_clients(writer, project.id, clients=1, requests=1))
        waited = time.monotonic() - started
        assert COMMIT_DELAY_SECONDS <= waited < COMMIT_DELAY_SECONDS + 0.5
        assert commits[-1] == 1
    finally:
        writer.stop()
