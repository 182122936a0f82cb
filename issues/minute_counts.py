"""The per-minute counts digest keeps for frequency alert rules (IssueMinuteCount) are needed for a day at most
(the longest rule window); older ones are deleted in small batches, so the delete never holds long locks."""

from datetime import timedelta

from django.utils import timezone

from issues.models import IssueMinuteCount

KEPT = timedelta(days=1, hours=1)
BATCH = 5000


def prune_minute_counts() -> int:
    """Delete the minute counts past their use; returns how many were deleted."""
    horizon = timezone.now() - KEPT
    deleted = 0
    while True:
        ids = list(IssueMinuteCount.objects.filter(minute__lt=horizon).values_list("id", flat=True)[:BATCH])
        if not ids:
            return deleted
        deleted += IssueMinuteCount.objects.filter(id__in=ids)._raw_delete(IssueMinuteCount.objects.db)
