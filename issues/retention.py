"""Retention: what Tracehound deletes so that a busy project's disk stops growing.

- Events received more than EVENT_RETENTION_DAYS ago (an operator's `manage.py purge` deletes earlier ones of a
  project on demand).
- Issues whose last event is that old: their counters and history go with them, so the same bug seen again later
  is a new issue, as in Sentry. An issue with an older last event keeps its counters until then, even once its
  stored events have aged out.
- Hourly counts (the trend charts) older than HOURLY_COUNT_RETENTION_DAYS.
- Past a project's stored-events cap (Bugsink's eviction), its oldest events, except each issue's first and latest
  events and the events a transition names (what its history links to), which are kept whatever their number.

Deletes go in batches of RETENTION_BATCH rows, one short transaction each, so no lock is held for long and ingest
and digest go on between them. On SQLite, the freed pages are handed back to the file system afterwards
(incremental vacuum: migration 0014 switched the database to it); on PostgreSQL, a plain VACUUM of the tables
makes the space reusable by new rows, which is what a steady stream needs (the README says more).
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Max, Min, QuerySet, Sum
from django.db.models.functions import Length
from django.utils import timezone

from issues.models import Event, Issue, IssueHourlyCount, IssueTransition, ProjectStorage
from projects.models import Project
from projects.options import option

logger = logging.getLogger(__name__)

RUNNING_FLAG = "tracehound:retention:running"
PAUSE_BETWEEN_BATCHES = 0.01  # seconds: lets ingest's and digest's transactions in between, on SQLite above all


@dataclass
class Deleted:
    events: int = 0
    issues: int = 0
    hourly_counts: int = 0


def sweep(now: datetime | None = None) -> Deleted | None:
    """Delete what retention says is past keeping; None when another sweep is running."""
    if not cache.add(RUNNING_FLAG, 1, option("RETENTION_SWEEP_SECONDS")):
        return None
    try:
        now = now or timezone.now()
        cutoff = now - timedelta(days=option("EVENT_RETENTION_DAYS"))
        deleted = Deleted(
            events=delete_in_batches(Event.objects.filter(received_at__lt=cutoff)),
            issues=delete_in_batches(Issue.objects.filter(last_seen__lt=cutoff)),
            hourly_counts=delete_in_batches(
                IssueHourlyCount.objects.filter(hour__lt=now - timedelta(days=option("HOURLY_COUNT_RETENTION_DAYS")))
            ),
        )
        capped = Project.objects.filter(stored_events_cap__isnull=False).values_list("id", "stored_events_cap")
        for project_id, cap in capped:
            deleted.events += evict_over_cap(project_id, cap)
        if deleted.events or deleted.issues or deleted.hourly_counts:
            logger.info(
                "retention: deleted %s events, %s issues, %s hourly counts",
                deleted.events,
                deleted.issues,
                deleted.hourly_counts,
            )
            reclaim_space()
        measure_storage(now)
        return deleted
    finally:
        cache.delete(RUNNING_FLAG)


def delete_in_batches(rows: QuerySet) -> int:
    """Delete `rows`, RETENTION_BATCH at a time (oldest first), each batch its own transaction."""
    batch = option("RETENTION_BATCH")
    deleted = 0
    while True:
        ids = list(rows.order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        started = time.monotonic()
        with transaction.atomic():
            # Issues cascade to their groupings, tags, counts, events and history (Django's collector, which
            # deletes each related table with one statement per batch); events have nothing hanging off them.
            rows.model.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        if len(ids) < batch:
            return deleted
        _pause_after(started)


def measure_storage(now: datetime) -> None:
    """Count each project's stored events and their bytes (one pass over the events, once per sweep)."""
    measured = {
        row["project_id"]: row
        for row in Event.objects.order_by()
        .values("project_id")
        .annotate(events=Count("id"), bytes=Sum(Length("payload")))
    }
    for project_id in Project.objects.values_list("id", flat=True):
        row = measured.get(project_id, {})
        ProjectStorage.objects.update_or_create(
            project_id=project_id,
            defaults={"events": row.get("events", 0), "bytes": row.get("bytes") or 0, "measured_at": now},
        )


def evict_over_cap(project_id: int, cap: int) -> int:
    """Delete the project's oldest events past `cap` stored ones, sparing the ones issues and their history need."""
    excess = Event.objects.filter(project_id=project_id).count() - cap
    if excess <= 0:
        return 0
    spared = _spared_events(project_id)
    batch = option("RETENTION_BATCH")
    deleted, after = 0, 0
    while deleted < excess:
        # Oldest first by id (the order they were stored in), a page at a time, skipping the spared ones.
        page = list(
            Event.objects.filter(project_id=project_id, id__gt=after)
            .order_by("id")
            .values_list("id", flat=True)[: batch * 2]
        )
        if not page:
            break
        after = page[-1]
        doomed = [event_id for event_id in page if event_id not in spared][: min(batch, excess - deleted)]
        if doomed:
            started = time.monotonic()
            with transaction.atomic():
                Event.objects.filter(id__in=doomed).delete()
            deleted += len(doomed)
            _pause_after(started)
    return deleted


def _pause_after(started: float) -> None:
    """At most half of the database's time for deletes: a pause as long as the batch took. At full speed the
    deletes' writes (four indexes per event) doubled ingest's p99 (bench/README.md, Retention)."""
    time.sleep(max(PAUSE_BETWEEN_BATCHES, time.monotonic() - started))


def _spared_events(project_id: int) -> set[int]:
    events = Event.objects.filter(project_id=project_id)
    ends = events.order_by().values("issue_id").annotate(first=Min("id"), latest=Max("id"))
    spared = {row["first"] for row in ends} | {row["latest"] for row in ends}
    named = IssueTransition.objects.filter(project_id=project_id, event_id__isnull=False).values("event_id")
    spared.update(events.filter(event_id__in=named).values_list("id", flat=True))
    return spared


def reclaim_space() -> None:
    """Make the deleted rows' space usable again. Never inside a transaction (a sweep runs outside any): neither
    statement may run in one."""
    if connection.in_atomic_block:
        return
    if connection.vendor == "sqlite":
        # executescript, because the statement frees one page per step and a cursor's execute takes one step.
        connection.ensure_connection()
        connection.connection.executescript("PRAGMA incremental_vacuum;")
    else:
        # A plain VACUUM (never FULL) takes no lock that stops inserts; done here rather than left to autovacuum,
        # which an installation may have turned off or tuned too lazily for a sweep that deletes a day at a time.
        tables = ", ".join(model._meta.db_table for model in (Event, IssueHourlyCount, Issue))
        with connection.cursor() as cursor:
            # Paced as autovacuum paces itself (a manual VACUUM runs flat out by default), for the same reason.
            cursor.execute("SET vacuum_cost_delay = '2ms'")
            cursor.execute(f"VACUUM (ANALYZE) {tables}")
            cursor.execute("RESET vacuum_cost_delay")


def purge(project_id: int, before: datetime, *, dry_run: bool) -> Deleted:
    """A project's events received before `before`, and its issues last seen before it (an operator's purge)."""
    events = Event.objects.filter(project_id=project_id, received_at__lt=before)
    issues = Issue.objects.filter(project_id=project_id, last_seen__lt=before)
    if dry_run:
        return Deleted(events=events.count(), issues=issues.count())
    deleted = Deleted(events=delete_in_batches(events), issues=delete_in_batches(issues))
    reclaim_space()
    return deleted
