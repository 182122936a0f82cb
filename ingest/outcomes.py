"""Counting what became of every item a project sent: accepted, or rejected and why.

Counting happens in memory on the request path (a dict update under a lock) and is flushed to the
`projects.IngestOutcome` table (projects/outcomes.py) by the inbox writer about once a second, as one upsert per
(project, outcome), and to `IngestOutcomeMinute` (the same, per minute, for the last two hours). A crash loses at
most that last second of counts, never an event.
"""

import logging
import threading
from collections import Counter

from django.db import IntegrityError, transaction

from ingest import metrics
from projects.models import Project
from projects.outage_log import OutageLog
from projects.outcomes import add_outcome_counts

log = logging.getLogger(__name__)
outcome_outage = OutageLog(log, "ingest: saving outcome counts (kept in memory meanwhile)")

ACCEPTED = "accepted"  # an event committed to the inbox (or to the disk spool)

_counts: Counter = Counter()
_lock = threading.Lock()


def count(project_id: int, outcome: str, n: int = 1) -> None:
    with _lock:
        _counts[(project_id, outcome)] += n
    metrics.events.labels(project_id, outcome).inc(n)


def _upsert(rows: list[tuple[int, str, int]]) -> None:
    with transaction.atomic():
        add_outcome_counts(rows)


def flush() -> None:
    """Add the counts gathered so far to the table; on failure they are kept for the next flush."""
    with _lock:
        snapshot = dict(_counts)
        _counts.clear()
    if not snapshot:
        return
    rows = [(project_id, outcome, n) for (project_id, outcome), n in snapshot.items()]
    try:
        try:
            _upsert(rows)
        except IntegrityError:  # a project deleted since: its counts go with it
            existing = set(Project.objects.filter(id__in={row[0] for row in rows}).values_list("id", flat=True))
            _upsert([row for row in rows if row[0] in existing])
    except Exception as error:
        outcome_outage.failed(error)
        with _lock:
            _counts.update(snapshot)
        raise
    outcome_outage.succeeded()
