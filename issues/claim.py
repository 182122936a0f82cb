"""Which pending inbox rows a digest round takes, with each attempt counted before any work is done on it.

An attempt is counted in its own committed transaction, before the transaction that digests the rows: if the
worker then dies (SIGKILL, out of memory, a segfault), the digest transaction is rolled back but the count stays.
A row whose count is above zero was therefore tried before and did not finish; it is tried again alone, one row
per transaction, so an event that kills its worker dies alone from then on and the events that shared its first
batch are digested without it. A row that was started DIGEST_MAX_ATTEMPTS times without finishing is set aside
when it comes up again (kept with its error, counted by `manage.py status`), never dropped.

Fresh rows (never tried) keep the fast path: one batch, one counting statement for all of them.

Between the counting commit and the digest transaction's lock, another worker can see the counted rows as
"tried before" and take one of them alone: the first of the two digest transactions to lock it digests it, the
other finds it gone, and its count has one attempt too many. The window is one commit long and such a row is
digested at once, so this costs an attempt now and then, never an event; only a row that already failed
DIGEST_MAX_ATTEMPTS - 1 times could be set aside by it.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import F

from issues.models import InboxItem

DEFAULT_MAX_ATTEMPTS = 5


def max_attempts() -> int:
    return settings.TRACEHOUND.get("DIGEST_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)


def pending_rows():
    return InboxItem.objects.filter(item_type=InboxItem.ItemType.EVENT, set_aside=False)


def claim_next(limit: int) -> list[int]:
    """Start the next attempt: up to `limit` fresh rows, or a single row that was tried before (the oldest first).
    Returns the ids to digest now, their attempt already counted and committed."""
    while True:
        with transaction.atomic():
            rows = list(
                pending_rows().order_by("id").select_for_update(skip_locked=True).values_list("id", "attempts")[:limit]
            )
            if not rows:
                return []
            started = _count_attempts(rows[:1] if rows[0][1] > 0 else [row for row in rows if row[1] == 0])
        if started:
            return started
        # The row at the head had used up its attempts and was set aside: look again.


def claim_again(inbox_id: int) -> bool:
    """Start another attempt on one row (after its batch failed); False when it is gone, taken or set aside."""
    with transaction.atomic():
        rows = list(
            pending_rows().filter(id=inbox_id).select_for_update(skip_locked=True).values_list("id", "attempts")
        )
        return bool(_count_attempts(rows))


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


def record_failures(failures: dict[int, Exception]) -> None:
    """Record why these attempts (already counted) failed; a row that used up its attempts is set aside."""
    limit = max_attempts()
    with transaction.atomic():
        for inbox_id, error in failures.items():
            InboxItem.objects.filter(id=inbox_id).update(last_error=f"{type(error).__name__}: {error}"[:2000])
            InboxItem.objects.filter(id=inbox_id, attempts__gte=limit).update(set_aside=True)
