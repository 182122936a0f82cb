"""Which pending inbox rows a digest round takes, with the attempt recorded before any work is done on them.

Each round records its batch as one InboxClaim row, committed before the digest transaction; the digest
transaction deletes it with the rows. A claim that is still there when its rows come up again, and whose worker is
gone, is a batch that did not finish (SIGKILL, out of memory, a segfault): each of its rows then counts one
attempt. (One small row per batch: counting each row's attempt up front rewrote every inbox row, payload and all.)

Whether a claim's worker is alive: on PostgreSQL the worker holds a session-level advisory lock on its claim from
its creation until its digest transaction is over, and a dead worker's session ends, which releases it. So a
claim whose lock can be taken belongs to a dead worker, and the rows of a claim whose lock cannot be taken are
another live worker's: they are left alone (counting them would make a busy worker's batch look failed and send
its rows into the slow retries below). SQLite has one digesting thread at a time (its single writer), so a claim
found there is always unfinished.

Rows that were tried before go in smaller batches, the more attempts the smaller (a batch size divided by 8 per
attempt: 500, then 62, then 7, then 1), so an event that kills its worker is isolated after a few deaths while
the events that shared its batches go through in batches; a row started DIGEST_MAX_ATTEMPTS times without
finishing is set aside when it comes up again (kept with its error, counted by `manage.py status`), never
dropped. A batch that fails with an exception is bisected at once by the same worker (issues/digest.py): only
the event that raised counts an attempt.
"""

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F

from issues import metrics
from issues.models import InboxClaim, InboxItem
from projects.options import option

# The first key of the claims' advisory locks (the second is the claim's id): "th" for Tracehound.
CLAIM_LOCKS = 0x7468
RETRY_SHRINK = 8


@dataclass(frozen=True)
class Claim:
    inbox_ids: list[int]
    claim_id: int
    retry: bool = False  # rows tried before: a small batch by design, not a sign that the backlog is done


def max_attempts() -> int:
    return option("DIGEST_MAX_ATTEMPTS")


def pending_rows():
    return InboxItem.objects.filter(item_type=InboxItem.ItemType.EVENT, set_aside=False)


def claim_next(limit: int) -> Claim | None:
    """Start the next attempt: up to `limit` rows in arrival order, fewer when they were tried before. Returns the
    rows to digest now, their claim committed; None when nothing is pending (or all of it is other workers')."""
    while True:
        with transaction.atomic():
            others = _count_unfinished_claims()
            rows = list(
                pending_rows()
                .exclude(id__in=others)
                .order_by("id")
                .select_for_update(skip_locked=True)
                .values_list("id", "attempts")[:limit]
            )
            if not rows:
                return None
            exhausted = [inbox_id for inbox_id, attempts in rows if attempts >= max_attempts()]
            for inbox_id in exhausted:
                _set_aside_unfinished(inbox_id)
            batch = _batch([row for row in rows if row[0] not in exhausted], limit)
            if batch:
                return _claim([inbox_id for inbox_id, _ in batch], retry=batch[0][1] > 0)


def claim_rows(inbox_ids: list[int]) -> Claim | None:
    """A new claim on those of `inbox_ids` still pending and free (the halves of a batch that failed)."""
    with transaction.atomic():
        rows = list(
            pending_rows().filter(id__in=inbox_ids).order_by("id").select_for_update(skip_locked=True).values_list("id")
        )
        return _claim([inbox_id for (inbox_id,) in rows], retry=True) if rows else None


def finish_claim(claim: Claim) -> None:
    """In the digest transaction, first thing: the claim goes with the rows."""
    InboxClaim.objects.filter(id=claim.claim_id)._raw_delete(InboxClaim.objects.db)


def release(claim: Claim, *, failed: bool) -> None:
    """After the digest transaction: the claim is no longer this worker's. A claim whose digest failed (rolled back,
    so still there) is deleted: its rows are bisected and retried by this worker, nothing counts against them yet."""
    if failed:
        InboxClaim.objects.filter(id=claim.claim_id).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [CLAIM_LOCKS, _lock_key(claim.claim_id)])


def _batch(rows: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """The leading rows that fit one batch: each attempt a row has made shrinks the batch it may be in."""
    batch: list[tuple[int, int]] = []
    worst = 0
    for inbox_id, attempts in rows:
        worst_with_it = max(worst, attempts)
        if batch and len(batch) >= max(1, limit // RETRY_SHRINK**worst_with_it):
            break
        batch.append((inbox_id, attempts))
        worst = worst_with_it
    return batch


def _claim(inbox_ids: list[int], *, retry: bool) -> Claim:
    claim = InboxClaim.objects.create(inbox_ids=inbox_ids)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [CLAIM_LOCKS, _lock_key(claim.id)])
    return Claim(inbox_ids, claim.id, retry=retry)


def _lock_key(claim_id: int) -> int:
    return claim_id % 2**31  # the two-key form takes 32-bit integers; ids this far apart are never live at once


def _count_unfinished_claims() -> set[int]:
    """Count an attempt on each row of every claim whose worker is gone, and return the rows held by live ones."""
    # Skipping locked claims: a claim is locked by the digest transaction that is finishing it, whose rows are
    # locked too (the row query skips them).
    claims = list(InboxClaim.objects.select_for_update(skip_locked=True).values_list("id", "inbox_ids"))
    unfinished, held = [], set()
    for claim_id, inbox_ids in claims:
        if _worker_alive(claim_id):
            held.update(inbox_ids)
        else:
            unfinished.append((claim_id, inbox_ids))
    if unfinished:
        counted = {inbox_id for _, inbox_ids in unfinished for inbox_id in inbox_ids}
        InboxItem.objects.filter(id__in=counted).update(attempts=F("attempts") + 1)
        InboxClaim.objects.filter(id__in=[claim_id for claim_id, _ in unfinished]).delete()
    return held


def _worker_alive(claim_id: int) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [CLAIM_LOCKS, _lock_key(claim_id)])
        if not cursor.fetchone()[0]:
            return True
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [CLAIM_LOCKS, _lock_key(claim_id)])
        return False


def _set_aside_unfinished(inbox_id: int) -> None:
    """Each failure that raised was recorded when it happened; an attempt that left no record died with its worker."""
    attempts, last_error = InboxItem.objects.filter(id=inbox_id).values_list("attempts", "last_error").get()
    note = f"{attempts} attempts; the last did not finish (its worker died: killed, out of memory or crashed)"
    if last_error:
        note += f"; an earlier one failed with {last_error}"
    InboxItem.objects.filter(id=inbox_id).update(set_aside=True, last_error=note[:2000])
    metrics.set_aside.inc()


def record_failures(failures: dict[int, Exception]) -> None:
    """Record why these rows failed and count the attempt; a row that used up its attempts is set aside."""
    limit = max_attempts()
    with transaction.atomic():
        InboxItem.objects.filter(id__in=list(failures)).update(attempts=F("attempts") + 1)
        for inbox_id, error in failures.items():
            InboxItem.objects.filter(id=inbox_id).update(last_error=f"{type(error).__name__}: {error}"[:2000])
            metrics.set_aside.inc(InboxItem.objects.filter(id=inbox_id, attempts__gte=limit).update(set_aside=True))
