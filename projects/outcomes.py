"""The counters of what became of the items each project sent (projects.IngestOutcome): ingest counts what it
accepted or rejected, digest what its inbound filters dropped ("filtered"). Kept here, in the bottom layer, so
that both may write them."""

from datetime import UTC, datetime, timedelta

from django.db import connection

from projects.models import IngestOutcome, IngestOutcomeMinute

FILTERED = "filtered"  # an accepted event that an inbound filter of its project dropped before it was stored
# The per-minute counts (the status page's "last minute" and "last hour") are kept this long.
MINUTES_KEPT = timedelta(hours=2)
_pruned_minute: datetime | None = None


def add_outcome_counts(rows: list[tuple[int, str, int]]) -> None:
    """Add (project id, outcome, n) rows to the counters, one upsert per row, in the caller's transaction."""
    if not rows:
        return
    global _pruned_minute
    table = connection.ops.quote_name(IngestOutcome._meta.db_table)
    minutes = connection.ops.quote_name(IngestOutcomeMinute._meta.db_table)
    minute = datetime.now(UTC).replace(second=0, microsecond=0)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (project_id, outcome, count) VALUES (%s, %s, %s) "
            f"ON CONFLICT (project_id, outcome) DO UPDATE SET count = {table}.count + excluded.count",
            rows,
        )
        cursor.executemany(
            f"INSERT INTO {minutes} (project_id, outcome, minute, count) VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT (project_id, minute, outcome) DO UPDATE SET count = {minutes}.count + excluded.count",
            [
                (project_id, outcome, connection.ops.adapt_datetimefield_value(minute), n)
                for project_id, outcome, n in rows
            ],
        )
    if minute != _pruned_minute:  # once a minute per process: a small delete of the minute that fell out
        IngestOutcomeMinute.objects.filter(minute__lt=minute - MINUTES_KEPT).delete()
        _pruned_minute = minute
