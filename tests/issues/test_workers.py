"""Digest in real worker processes (`manage.py digest`) on the test database: concurrency and crashes.

Postgres is where several workers run at once (SKIP LOCKED, advisory lock for new issues), so the concurrent and
timed SIGKILL tests need it; SQLite (one writer) has its own single-worker process test, and the test of an event
that kills its worker runs on both.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import orjson
import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from config.status import project_stats
from issues import digest, triage
from issues.claim import claim_next, release
from issues.models import Event, Grouping, InboxItem, Issue, IssueHourlyCount, IssueTag, IssueTransition

from ..e2e.conftest import ROOT, database_url_of_test_database
from .conftest import exception_event

pytestmark = pytest.mark.django_db(transaction=True)


def worker_env() -> dict:
    return {
        **os.environ,
        "TRACEHOUND_MODE": "embedded" if connection.vendor == "sqlite" else "production",
        "DATABASE_URL": database_url_of_test_database(),
    }


def start_worker(batch_size: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "digest", "--until-empty", "--batch-size", str(batch_size)],
        cwd=ROOT,
        env=worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def fill_inbox(project, count: int, fingerprints: int) -> None:
    """`count` events cycling through `fingerprints` distinct new problems, each with a user and a tag; every one
    stored (no flood cap), so that stored events can be counted against times_seen."""
    project.flood_cap_per_hour = None
    project.save(update_fields=["flood_cap_per_hour"])
    rows = []
    for n in range(count):
        event_id = uuid.uuid4()
        event = exception_event(
            type_=f"Problem{n % fingerprints}Error",
            user={"id": f"user-{n % 7}"},
            tags={"shard": str(n % 3)},
            event_id=event_id.hex,
        )
        rows.append(InboxItem(project=project, event_id=event_id, payload=orjson.dumps(event)))
    InboxItem.objects.bulk_create(rows, batch_size=1000)


def assert_each_event_counted_once(project, count: int, fingerprints: int, set_aside: int = 0) -> None:
    assert not InboxItem.objects.filter(set_aside=False).exists()
    assert InboxItem.objects.filter(set_aside=True).count() == set_aside
    assert Event.objects.filter(project=project).count() == count
    assert Issue.objects.filter(project=project).count() == fingerprints
    assert Grouping.objects.filter(project=project).count() == fingerprints
    assert IssueTransition.objects.filter(project=project, kind="new").count() == fingerprints
    assert Issue.objects.filter(project=project).aggregate(n=Sum("times_seen"))["n"] == count
    assert IssueHourlyCount.objects.filter(project=project).aggregate(n=Sum("count"))["n"] == count
    assert IssueTag.objects.filter(issue__project=project, key="shard").aggregate(n=Sum("times_seen"))["n"] == count
    for issue in Issue.objects.filter(project=project):
        assert issue.times_seen == Event.objects.filter(issue=issue).count()
    assert sorted(Issue.objects.filter(project=project).values_list("short_id", flat=True)) == list(
        range(1, fingerprints + 1)
    )


def test_a_worker_process_digests_the_inbox(project):
    fill_inbox(project, 300, fingerprints=5)
    worker = start_worker(batch_size=50)
    output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    assert "digested 300 events" in output
    assert_each_event_counted_once(project, 300, 5)


def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("several writers at once need Postgres (SQLite has one writer; see the test above)")


def test_concurrent_workers_create_each_new_issue_exactly_once(project):
    needs_postgres()
    fill_inbox(project, 900, fingerprints=20)  # every batch of every worker meets all 20 new keys
    workers = [start_worker(batch_size=20) for _ in range(3)]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0], outputs
    digested = [int(output.split("digested ", 1)[1].split(" ", 1)[0]) for output in outputs]
    assert sum(digested) == 900
    assert sum(1 for n in digested if n > 0) >= 2, f"the workers did not overlap: {digested}"
    # No batch failed on a unique constraint and had to be retried: the advisory lock made workers wait instead.
    assert not any("retrying" in output or ", 0 failed" not in output for output in outputs), outputs
    assert_each_event_counted_once(project, 900, 20)


def in_transaction_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        )
        return cursor.fetchone()[0]


def test_a_worker_killed_mid_batch_loses_and_double_counts_nothing(project):
    needs_postgres()
    fill_inbox(project, 1600, fingerprints=10)
    worker = start_worker(batch_size=100)
    deadline = time.monotonic() + 60
    # Kill once some batches are committed and the worker is inside the next batch's transaction.
    while time.monotonic() < deadline and not (
        Event.objects.filter(project=project).exists() and in_transaction_backends()
    ):
        time.sleep(0.005)
    assert worker.poll() is None, "the worker finished before it could be killed"
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    stored_at_kill = Event.objects.filter(project=project).count()
    assert 0 < stored_at_kill < 1600
    assert stored_at_kill % 100 == 0, "only whole batches may have been committed"
    deadline = time.monotonic() + 10
    while in_transaction_backends() and time.monotonic() < deadline:
        time.sleep(0.05)  # Postgres rolls the dead worker's transaction back when it notices the closed socket

    second = start_worker(batch_size=100)
    output, _ = second.communicate(timeout=120)
    assert second.returncode == 0, output
    assert f"digested {1600 - stored_at_kill} events" in output
    assert_each_event_counted_once(project, 1600, 10)


def run_poison_worker(poison: uuid.UUID, batch_size: int, max_attempts: int) -> tuple[int, str]:
    """One run of a worker that dies (SIGKILL) when it reaches the event `poison`; its exit code and output."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.issues.poison_worker", poison.hex, str(batch_size)],
        cwd=ROOT,
        env={**worker_env(), "TRACEHOUND_DIGEST_MAX_ATTEMPTS": str(max_attempts)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output, _ = worker.communicate(timeout=60)
    return worker.returncode, output


def test_an_event_that_kills_its_worker_is_set_aside_and_its_neighbours_are_digested(project):
    fill_inbox(project, 300, fingerprints=5)
    poison = InboxItem.objects.order_by("id")[149]  # in the middle of the second batch of 100

    exit_codes, output = [], ""
    while len(exit_codes) < 6 and 0 not in exit_codes:
        code, output = run_poison_worker(poison.event_id, batch_size=100, max_attempts=3)
        exit_codes.append(code)

    # Death 1 in its batch (the first batch was committed before it); deaths 2 and 3 alone, after the 49 events
    # before it in that batch were retried one by one; the 4th run sets it aside and digests the rest.
    assert exit_codes == [-signal.SIGKILL] * 3 + [0], output
    assert "digested 150 events" in output
    poison.refresh_from_db()
    assert (poison.attempts, poison.set_aside) == (3, True)
    assert "did not finish (its worker died" in poison.last_error
    assert not Event.objects.filter(event_id=poison.event_id).exists()
    assert_each_event_counted_once(project, 299, 5, set_aside=1)
    [stats] = [row for row in project_stats(timezone.now()) if row["project_id"] == project.id]
    assert (stats["events"], stats["pending"], stats["set_aside"]) == (299, 0, 1)


def test_a_batch_waits_for_its_rows_while_another_worker_claim_holds_them(project, monkeypatch):
    """Between counting its attempt and locking its rows, a worker can find another worker's claim holding them
    (that claim locks the first pending rows it sees before choosing among them): it must wait and digest them,
    not skip them, or they stay counted and undigested until they are set aside."""
    needs_postgres()
    fill_inbox(project, 10, fingerprints=2)
    claimed, released = threading.Event(), threading.Event()

    def another_workers_claim():
        with transaction.atomic():
            list(InboxItem.objects.select_for_update(skip_locked=True).values_list("id", "attempts")[:500])
            claimed.set()
            released.wait(10)
        connection.close()

    claim_next = digest.claim_next

    def claim_then_meet_another_claim(limit):
        inbox_ids = claim_next(limit)
        thread = threading.Thread(target=another_workers_claim)
        thread.start()
        claimed.wait(10)
        threading.Timer(0.3, released.set).start()
        return inbox_ids

    monkeypatch.setattr(digest, "claim_next", claim_then_meet_another_claim)
    result = digest.digest_batch(100)
    assert released.is_set(), "the other claim did not hold the rows"
    assert (result.claimed, result.stored) == (10, 10)
    assert_each_event_counted_once(project, 10, 2)


def test_a_mute_condition_reached_by_two_workers_at_once_unmutes_once(project):
    needs_postgres()
    fill_inbox(project, 1, fingerprints=1)
    digest.digest_until_empty()
    issue = Issue.objects.get(project=project)
    triage.mute_issues(Issue.objects.filter(pk=issue.pk), None, volume={"kind": "count", "threshold": 50})
    fill_inbox(project, 600, fingerprints=1)  # every batch of both workers is past the threshold
    workers = [start_worker(batch_size=20) for _ in range(2)]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    digested = [int(output.split("digested ", 1)[1].split(" ", 1)[0]) for output in outputs]
    assert sum(digested) == 600 and all(digested), f"the workers did not overlap: {digested}"
    issue.refresh_from_db()
    assert issue.status == "unresolved" and issue.times_seen == 601
    transitions = list(IssueTransition.objects.filter(issue=issue).order_by("id").values_list("kind", flat=True))
    assert transitions == ["new", "muted", "unmuted", "escalated"]


def test_a_live_workers_claim_is_left_alone_and_a_dead_workers_claim_counts_an_attempt(project):
    """Another worker's claim, between its commit and its digest transaction, is not a batch that failed: its rows
    are not taken nor counted while its worker's session lives; once that session ends (the worker died), they
    count one attempt and go again."""
    needs_postgres()
    fill_inbox(project, 20, fingerprints=2)
    claimed, die = threading.Event(), threading.Event()
    theirs = []

    def another_worker():
        theirs.extend(claim_next(8).inbox_ids)
        claimed.set()
        die.wait(10)
        connection.close()  # its session ends, as a killed worker's does

    thread = threading.Thread(target=another_worker)
    thread.start()
    claimed.wait(10)
    mine = claim_next(8)
    assert set(mine.inbox_ids).isdisjoint(theirs) and len(mine.inbox_ids) == 8
    assert set(InboxItem.objects.values_list("attempts", flat=True)) == {0}
    release(mine, failed=True)

    die.set()
    thread.join(10)
    retry = claim_next(8)
    assert retry.retry and retry.inbox_ids == sorted(theirs)[:1]  # 8 // 8 rows at a time after one death
    attempts = dict(InboxItem.objects.values_list("id", "attempts"))
    assert {inbox_id for inbox_id, count in attempts.items() if count == 1} == set(theirs)
    release(retry, failed=True)
    assert digest.digest_until_empty(limit=8).stored == 20
    assert_each_event_counted_once(project, 20, 2)
