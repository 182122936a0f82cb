"""Which pending inbox rows a digest round takes, with each attempt recorded before any work is done on it.

An attempt is recorded in its own committed transaction, before the transaction that digests the rows: if the
worker then dies (SIGKILL, out of memory, a segfault), the digest transaction is rolled back but the record stays.
A row that was tried before and did not finish is tried again alone, one row per transaction, so an event that
kills its worker dies alone from then on and the events that shared its first batch are digested without it. A
row that was started DIGEST_MAX_ATTEMPTS times without finishing is set aside when it comes up again (kept with
its error, counted by `manage.py status`), never dropped.

Fresh rows (never tried) keep the fast path: one batch, and its attempt recorded as one InboxClaim row that the
digest transaction deletes with the rows. Only a claim that is still there when its rows come up again (its batch
did not finish) is turned into one attempt on each of its rows (`attempts`), which is what a row tried alone
counts too. (Counting each row's attempt up front rewrote every inbox row, payload and all, for each batch.)

Between the claim's commit and the digest transaction's lock, another worker can see the claimed rows as "tried
before" and take one of them alone: the first of the two digest transactions to lock it digests it, the other
finds it gone, and its count has one attempt too many. The window is one commit long and such a row is digested at
once, so this costs an attempt now and then, never an event; only a row that already failed DIGEST_MAX_ATTEMPTS - 1
times could be set aside by it.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from issues import metrics
from issues.models import InboxClaim, InboxItem
from projects.options import option


@dataclass(frozen=True)
class Claim:
    inbox_ids: list[int]
    claim_id: int | None = None  # the InboxClaim of a fresh batch; None for a row tried alone (counted on the row)


def max_attempts() -> int:
    return option("DIGEST_MAX_ATTEMPTS")


def pending_rows():
    return InboxItem.objects.filter(item_type=InboxItem.ItemType.EVENT, set_aside=False)


def claim_next(limit: int) -> Claim | None:
    """Start the next attempt: up to `limit` fresh rows, or a single row that was tried before (the oldest first).
    Returns the rows to digest now, their attempt already recorded and committed; None when nothing is pending."""
    while True:
        with transaction.atomic():
            rows = list(
                pending_rows().order_by("id").select_for_update(skip_locked=True).values_list("id", "attempts")[:limit]
            )
            if not rows:
                return None
            rows = _with_unfinished_claims_counted(rows)
            if rows[0][1] > 0:
                started = _count_attempts(rows[:1])
                if started:
                    return Claim(started)
                continue  # the row at the head had used up its attempts and was set aside: look again
            fresh = [inbox_id for inbox_id, attempts in rows if attempts == 0]
            return Claim(fresh, InboxClaim.objects.create(inbox_ids=fresh).id)


def claim_again(inbox_id: int) -> bool:
    """Start another attempt on one row (after its batch failed); False when it is gone, taken or set aside."""
    with transaction.atomic():
        rows = list(
            pending_rows().filter(id=inbox_id).select_for_update(skip_locked=True).values_list("id", "attempts")
        )
        return bool(_count_attempts(rows))


def finish_claim(claim: Claim) -> None:
    """In the digest transaction, first thing: the attempt's record goes with the rows (and stays locked until
    then, so that no claim takes it for an unfinished one)."""
    if claim.claim_id is not None:
        InboxClaim.objects.filter(id=claim.claim_id)._raw_delete(InboxClaim.objects.db)


def count_unfinished(claim: Claim) -> None:
    """The claim's batch failed as a whole: its rows count the attempt (the rows tried alone already have)."""
    if claim.claim_id is not None:
        with transaction.atomic():
            claims = InboxClaim.objects.select_for_update().filter(id=claim.claim_id)
            _count_claims(list(claims.values_list("id", "inbox_ids")))


def _with_unfinished_claims_counted(rows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """`rows` (id, attempts), after counting the attempt of every remaining claim that holds one of them."""
    ids = {inbox_id for inbox_id, _ in rows}
    # Skipping locked claims: a claim is locked by the digest transaction that is finishing it (finish_claim).
    remaining = InboxClaim.objects.select_for_update(skip_locked=True).values_list("id", "inbox_ids")
    claims = [(claim_id, inbox_ids) for claim_id, inbox_ids in remaining if ids.intersection(inbox_ids)]
    if not claims:
        return rows
    counted = _count_claims(claims)
    return [(inbox_id, attempts + 1 if inbox_id in counted else attempts) for inbox_id, attempts in rows]


def _count_claims(claims: list[tuple[int, list[int]]]) -> set[int]:
    counted = {inbox_id for _, inbox_ids in claims for inbox_id in inbox_ids}
    InboxItem.objects.filter(id__in=counted).update(attempts=F("attempts") + 1)
    InboxClaim.objects.filter(id__in=[claim_id for claim_id, _ in claims]).delete()
    return counted


def _count_attempts(rows: list[tuple[int, int]]) -> list[int]:
    limit = max_attempts()
    exhausted = [inbox_id for inbox_id, attempts in rows if attempts >= limit]
    started = [inbox_id for inbox_id, attempts in rows if attempts < limit]
    for inbox_id in exhausted:
        _set_aside_unfinished(inbox_id)
    if started:
        InboxItem.objects.filter(id__in=started).update(attempts=F("attempts") + 1)
    return started


def _set_aside_unfinished(inbox_id: int) -> None:
    """Each failure that raised was recorded when it happened; an attempt that left no record died with its worker."""
    attempts, last_error = InboxItem.objects.filter(id=inbox_id).values_list("attempts", "last_error").get()
    note = f"{attempts} attempts; the last did not finish (its worker died: killed, out of memory or crashed)"
    if last_error:
        note += f"; an earlier one failed with {last_error}"
    InboxItem.objects.filter(id=inbox_id).update(set_aside=True, last_error=note[:2000])
    metrics.set_aside.inc()


def record_failures(failures: dict[int, Exception], *, count_attempt: bool) -> None:
    """Record why these attempts failed; a row that used up its attempts is set aside. `count_attempt` for rows
    whose attempt only a claim recorded, and the claim is deleted with the digest transaction: it counts here."""
    limit = max_attempts()
    with transaction.atomic():
        if count_attempt:
            InboxItem.objects.filter(id__in=list(failures)).update(attempts=F("attempts") + 1)
        for inbox_id, error in failures.items():
            InboxItem.objects.filter(id=inbox_id).update(last_error=f"{type(error).__name__}: {error}"[:2000])
            metrics.set_aside.inc(InboxItem.objects.filter(id=inbox_id, attempts__gte=limit).update(set_aside=True))
