"""The digest service on the test database (SQLite or Postgres, whichever the run uses), in this process."""

import uuid
from datetime import timedelta

import orjson
import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from issues import digest, sketch
from issues.claim import claim_next, release
from issues.digest import digest_batch, digest_until_empty
from issues.minute_counts import prune_minute_counts
from issues.models import (
    ZSTD_MAGIC,
    Event,
    Grouping,
    InboxClaim,
    InboxItem,
    Issue,
    IssueHourlyCount,
    IssueMinuteCount,
    IssueTag,
    IssueTransition,
)
from issues.runner import digest_round, digest_thread
from issues.signals import transitions_committed

from .conftest import exception_event

pytestmark = pytest.mark.django_db


def test_events_of_one_problem_become_one_issue_with_counters(inbox, project):
    for user in ("alice", "bob", "alice"):
        inbox(exception_event(user={"id": user}, release="1.0", tags={"browser": "firefox"}))
    inbox(exception_event(type_="KeyError", value="'x'", function="other"))

    result = digest_until_empty()

    assert (result.stored, result.new_issues, result.failed) == (4, 2, 0)
    assert not InboxItem.objects.exists()
    issue = Issue.objects.get(project=project, title="ValueError: bad input")
    assert (issue.times_seen, issue.users_seen, issue.last_release) == (3, 2, "1.0")
    assert issue.culprit == "app.logic in handle"
    assert sorted(Issue.objects.values_list("short_id", flat=True)) == [1, 2]
    assert Event.objects.filter(issue=issue).count() == 3
    assert sum(IssueHourlyCount.objects.filter(issue=issue).values_list("count", flat=True)) == 3
    assert IssueTag.objects.get(issue=issue, key="browser", value="firefox").times_seen == 3
    assert IssueTag.objects.get(issue=issue, key="release", value="1.0").times_seen == 3
    assert IssueTransition.objects.filter(kind="new").count() == 2
    grouping = Grouping.objects.get(issue=issue)
    assert grouping.key_text == "type: ValueError\nframe: app.views index\nframe: app.logic handle"


def test_stored_event_has_the_documented_shape(inbox):
    received_at = timezone.now()
    item = inbox(
        {
            "message": {"message": "User %s not found", "params": ["ann"]},
            "tags": [["a", "b"]],
            "breadcrumbs": [{"message": "clicked", "timestamp": 1732233600}],
            "timestamp": (received_at + timedelta(hours=1)).timestamp(),  # a client clock running ahead
        },
        received_at=received_at,
    )
    digest_until_empty()
    data = Event.objects.get(event_id=item.event_id).data
    assert set(data) >= {
        "event_id", "timestamp", "received", "platform", "level", "logger", "transaction", "server_name",
        "release", "environment", "message", "logentry", "exception", "breadcrumbs", "request", "user", "tags",
        "contexts", "extra", "fingerprint", "sdk", "_meta",
    }  # fmt: skip
    assert data["message"] == "User ann not found"
    assert data["logentry"] == {"message": "User %s not found", "params": ["ann"]}
    assert data["tags"] == [["a", "b"]]
    assert data["breadcrumbs"]["values"][0]["timestamp"].startswith("2024-11-22T00:00:00")
    assert data["exception"] == {"values": []}
    assert data["event_id"] == item.event_id.hex
    assert data["timestamp"] == data["received"] == received_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert data["_meta"]["notes"][0]["path"] == "timestamp"
    assert "in the future" in data["_meta"]["notes"][0]["note"]
    assert Issue.objects.get().title == "User ann not found"


def test_compressed_and_plain_inbox_payloads_are_both_digested(inbox):
    plain = inbox(exception_event(value="plain"))
    packed_id = uuid.uuid4()
    packed = inbox(InboxItem.pack(orjson.dumps({"event_id": packed_id.hex, **exception_event(value="packed")})),
                   event_id=packed_id)  # fmt: skip
    assert bytes(packed.payload).startswith(ZSTD_MAGIC)
    digest_until_empty()
    assert Event.objects.get(event_id=plain.event_id).data["exception"]["values"][0]["value"] == "plain"
    assert Event.objects.get(event_id=packed_id).data["exception"]["values"][0]["value"] == "packed"


def test_a_resent_event_is_stored_and_counted_once(inbox, project):
    event_id = uuid.uuid4()
    inbox(exception_event(), event_id=event_id)
    digest_until_empty()
    inbox(exception_event(), event_id=event_id)  # the client resent it after digest consumed the first copy
    result = digest_until_empty()
    assert (result.stored, result.duplicates) == (0, 1)
    assert Issue.objects.get().times_seen == 1
    assert not InboxItem.objects.exists()


def test_a_poison_event_is_retried_then_set_aside_and_others_go_through(inbox, settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "DIGEST_MAX_ATTEMPTS": 2}
    bad = inbox(b"[not json")
    inbox(exception_event())
    first = digest_batch()
    assert (first.stored, first.failed) == (1, 1)
    bad.refresh_from_db()
    assert (bad.attempts, bad.set_aside) == (1, False)
    assert "JSONDecodeError" in bad.last_error
    digest_batch()
    bad.refresh_from_db()
    assert (bad.attempts, bad.set_aside) == (2, True)
    assert digest_batch().claimed == 0  # set aside: not claimed again, but kept
    assert Issue.objects.get().times_seen == 1


def test_a_batch_attempt_is_one_claim_row_not_an_update_of_each_event(inbox):
    items = [inbox(exception_event()) for _ in range(3)]
    claim = claim_next(10)
    assert claim.inbox_ids == [item.id for item in items]
    assert list(InboxClaim.objects.values_list("inbox_ids", flat=True)) == [claim.inbox_ids]
    assert set(InboxItem.objects.values_list("attempts", flat=True)) == {0}  # the payload rows are not rewritten
    digest_until_empty()
    assert not InboxClaim.objects.exists() and not InboxItem.objects.exists()
    assert Event.objects.count() == 3


def test_the_rows_of_a_batch_that_did_not_finish_count_an_attempt_and_go_again_in_smaller_batches(inbox):
    items = [inbox(exception_event()) for _ in range(3)]
    claim_next(16)  # its worker dies here: no digest transaction ever commits
    retry = claim_next(16)
    assert retry.inbox_ids == [items[0].id, items[1].id] and retry.retry  # 16 // 8 rows at a time after one death
    assert list(InboxItem.objects.order_by("id").values_list("attempts", flat=True)) == [1, 1, 1]
    assert list(InboxClaim.objects.values_list("inbox_ids", flat=True)) == [retry.inbox_ids]
    release(retry, failed=True)
    result = digest_until_empty(limit=16)
    assert (result.stored, result.failed) == (3, 0)
    assert not InboxItem.objects.exists() and not InboxClaim.objects.exists()


def test_a_batch_that_raises_is_halved_until_the_bad_event_is_alone(inbox, monkeypatch):
    items = [inbox(exception_event(value=f"event {n}")) for n in range(16)]
    bad = items[11]
    insert_events = digest._insert_events
    transactions = []

    def insert_or_fail(fresh):
        transactions.append(len(fresh))
        if any(item.inbox_id == bad.id for item in fresh):
            raise IntegrityError("a row this database refuses")
        insert_events(fresh)

    monkeypatch.setattr(digest, "_insert_events", insert_or_fail)
    result = digest_batch(16)

    assert (result.stored, result.failed) == (15, 1)
    assert transactions == [16, 8, 8, 4, 2, 2, 1, 1, 4]  # halves, depth first; each good half in one transaction
    bad.refresh_from_db()
    assert bad.attempts == 1 and "IntegrityError: a row this database refuses" in bad.last_error
    # Only the event that raised counted an attempt; the others were digested.
    assert list(InboxItem.objects.values_list("id", flat=True)) == [bad.id]
    assert not InboxClaim.objects.exists()


def test_a_resolved_issue_regresses_and_a_mute_expires(inbox):
    inbox(exception_event())
    inbox(exception_event(type_="KeyError", function="other"))
    digest_until_empty()
    resolved, muted = Issue.objects.order_by("id")
    Issue.objects.filter(id=resolved.id).update(status="resolved", resolved_at=timezone.now() - timedelta(minutes=1))
    Issue.objects.filter(id=muted.id).update(status="muted", muted_until=timezone.now() - timedelta(seconds=1))
    inbox(exception_event())
    inbox(exception_event(type_="KeyError", function="other"))
    digest_until_empty()
    resolved.refresh_from_db()
    muted.refresh_from_db()
    assert (resolved.status, resolved.resolved_at, muted.status, muted.muted_until) == (
        "unresolved", None, "unresolved", None
    )  # fmt: skip
    assert list(IssueTransition.objects.filter(issue=resolved).values_list("kind", flat=True).order_by("id")) == [
        "new",
        "regressed",
    ]
    assert IssueTransition.objects.filter(issue=muted, kind="unmuted").count() == 1


def test_transitions_and_live_push_are_announced_after_commit(inbox, project, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, transition_ids, **kwargs):
        received.append(list(transition_ids))

    transitions_committed.connect(receiver)
    try:
        inbox(exception_event())
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            digest_until_empty()
        assert received == []  # nothing before commit
        for callback in callbacks:
            callback()
    finally:
        transitions_committed.disconnect(receiver)
    assert received == [list(IssueTransition.objects.values_list("id", flat=True))]


def test_sqlite_or_postgres_claim_is_the_one_this_run_uses():
    # The SKIP LOCKED claim only exists on Postgres; on SQLite the IMMEDIATE transaction is the lock.
    assert connection.vendor in ("sqlite", "postgresql")


def test_a_task_stops_at_a_short_batch_but_not_at_a_batch_of_retried_events(inbox, project):
    retried = inbox(exception_event())
    InboxItem.objects.filter(id=retried.id).update(attempts=1)  # its worker died while digesting it
    for _ in range(150):
        inbox(exception_event())
    result = digest_until_empty(limit=100, until_short_batch=True)
    # 12 (100 // 8, the retried event's batch: small by design), then 100 (full), then 39 (short: stop).
    assert (result.claimed, result.stored) == (151, 151)
    assert not InboxItem.objects.exists()


def test_events_are_counted_per_minute_of_arrival_with_their_users_across_batches(inbox, project):
    now = timezone.now()
    minute = now.replace(second=0, microsecond=0)
    for user in ("alice", "bob"):
        inbox(exception_event(user={"id": user}), received_at=minute + timedelta(seconds=5))
    digest_until_empty()
    for user in ("bob", "carol"):
        inbox(exception_event(user={"id": user}), received_at=minute + timedelta(seconds=30))
    inbox(exception_event(), received_at=minute + timedelta(seconds=40))  # no user: keeps the minute's users
    inbox(exception_event(user={"id": "dave"}), received_at=minute - timedelta(seconds=1))  # the minute before
    digest_until_empty()

    issue = Issue.objects.get(project=project)
    rows = {row.minute: row for row in IssueMinuteCount.objects.filter(issue=issue)}
    assert {moment: row.count for moment, row in rows.items()} == {minute: 5, minute - timedelta(minutes=1): 1}
    assert sketch.estimate(bytearray(rows[minute].users_sketch)) == 3  # alice, bob, carol
    assert rows[minute].project_id == project.id


def test_minute_counts_older_than_a_day_are_pruned(inbox, project):
    inbox(exception_event(), received_at=timezone.now() - timedelta(days=2))
    inbox(exception_event(), received_at=timezone.now())
    digest_until_empty()
    assert IssueMinuteCount.objects.count() == 2
    assert prune_minute_counts() == 1
    assert IssueMinuteCount.objects.get().minute > timezone.now() - timedelta(minutes=2)


def test_the_embedded_digest_thread_beats_on_every_full_batch_of_a_long_round(inbox, project, settings, monkeypatch):
    """A backlog is digested in one long round: its heartbeat must not fall silent meanwhile (config/health.py)."""
    settings.TRACEHOUND = {**settings.TRACEHOUND, "DIGEST_BATCH_SIZE": 2, "DIGEST_BATCH_SIZE_SQLITE": 2}
    for n in range(5):
        inbox(exception_event(value=f"bad input {n}"))
    beats = []
    monkeypatch.setattr(digest_thread, "heartbeat", lambda: beats.append(Event.objects.count()))
    digest_round()
    assert beats == [2, 4]  # after each full batch; the round's end beats in the thread's loop
    assert Event.objects.count() == 5
