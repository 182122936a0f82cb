"""The counters of what became of the items each project sent (projects.IngestOutcome): ingest counts what it
accepted or rejected, digest what its inbound filters dropped ("filtered"). Kept here, in the bottom layer, so
that both may write them."""

from django.db import connection

from projects.models import IngestOutcome

FILTERED = "filtered"  # an accepted event that an inbound filter of its project dropped before it was stored


def add_outcome_counts(rows: list[tuple[int, str, int]]) -> None:
    """Add (project id, outcome, n) rows to the counters, one upsert per row, in the caller's transaction."""
    if not rows:
        return
    table = connection.ops.quote_name(IngestOutcome._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (project_id, outcome, count) VALUES (%s, %s, %s) "
            f"ON CONFLICT (project_id, outcome) DO UPDATE SET count = {table}.count + excluded.count",
            rows,
        )
