"""The domain's tables.

Data flows one way: ingest writes InboxItem rows; digest turns each into an Event under an Issue (found through
its Grouping), keeps the counters (Issue, IssueHourlyCount, IssueTag) and writes IssueTransition rows, which are
both the issue's history and the outbox that notify and the live UI read.
"""

import threading
from functools import cached_property

import orjson
import zstandard
from django.conf import settings
from django.db import models
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Concat, Upper
from django.utils import timezone

from projects.models import Project

# Joins the fields of Issue.search_document: a control character that search queries never keep.
SEARCH_SEPARATOR = "\x1f"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# Level 1: measured 40% cheaper than 3 on 11 KB events, for 3% more bytes; every event is compressed.
ZSTD_LEVEL = 1
_local = threading.local()


def _codecs():
    """This thread's zstd compressor and decompressor: one instance must not be used by two threads at once, and
    ingest's writer threads, digest and the web process all compress."""
    if not hasattr(_local, "compressor"):
        _local.compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
        _local.decompressor = zstandard.ZstdDecompressor()
    return _local


class InboxItem(models.Model):
    """An accepted envelope item, committed before ingest answers 200, waiting for digest.

    `payload` is the item's JSON as UTF-8 bytes, already cleaned by ingest (no NUL, no lone surrogates), so digest
    may trust it to parse. Ingest stores it zstd-compressed (`pack`): a 24 KB event becomes about 4 KB, which is
    most of what an inbox commit costs; `unpack` also takes plain JSON, which older rows and tests hold.

    Digest deletes the row in the transaction that stores the Event; a row whose digest failed
    `attempts` times is set aside (kept, shown by `status`) instead of retried forever. (A batch's attempt is
    recorded in an InboxClaim first, and only counted here if the batch does not finish: issues/claim.py.)
    """

    class ItemType(models.TextChoices):
        EVENT = "event"

    # No database constraint and no index of its own: the inbox is ingest's hot insert, where the deferred foreign
    # key check cost PostgreSQL 20-30% of its CPU per row, and the unique constraint below already leads with the
    # project. Deleting a project still deletes its rows (Django cascades); a row committed for a project deleted
    # meanwhile (its key is cached for up to 30 s) is dropped by digest.
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    item_type = models.CharField(max_length=16, choices=ItemType.choices, default=ItemType.EVENT)
    event_id = models.UUIDField()
    received_at = models.DateTimeField(default=timezone.now)
    payload = models.BinaryField()
    attempts = models.PositiveSmallIntegerField(default=0)
    set_aside = models.BooleanField(default=False)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            # A client resending the same event (same id) is answered 200 but stored once.
            models.UniqueConstraint(fields=["project", "item_type", "event_id"], name="inbox_item_once_per_project"),
        ]
        indexes = [models.Index(fields=["item_type", "set_aside", "id"], name="inbox_pending")]

    @staticmethod
    def pack(json_bytes: bytes) -> bytes:
        return _codecs().compressor.compress(json_bytes)

    @staticmethod
    def unpack(payload) -> bytes:
        """The JSON bytes of a stored payload, compressed or not (JSON never starts with zstd's magic number)."""
        payload = bytes(payload)
        if payload.startswith(ZSTD_MAGIC):
            return _codecs().decompressor.decompress(payload)
        return payload


class InboxClaim(models.Model):
    """A batch of fresh inbox rows a digest worker has started on, recorded before the work (issues/claim.py).

    The digest transaction deletes it with the rows; one that remains is a batch that did not finish, whose rows
    then count one attempt each. One small row per batch, where counting the attempt on each inbox row rewrote
    every row with its payload: 31 us of PostgreSQL CPU and 4-8 KB of WAL per event."""

    inbox_ids = models.JSONField()
    claimed_at = models.DateTimeField(default=timezone.now)


class Issue(models.Model):
    class Status(models.TextChoices):
        UNRESOLVED = "unresolved"
        RESOLVED = "resolved"
        MUTED = "muted"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="issues")
    # Per-project sequence shown to people as e.g. "BACKEND-42".
    short_id = models.PositiveIntegerField()
    title = models.TextField()
    culprit = models.TextField(blank=True, default="")
    level = models.CharField(max_length=16, default="error")
    platform = models.CharField(max_length=64, blank=True, default="")
    # Summary of the event that created the issue (exception type/value, filename, function) for list rows.
    metadata = models.JSONField(default=dict)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    times_seen = models.BigIntegerField(default=0)
    # Approximate distinct users (issues/sketch.py): users_seen is the estimate of this HyperLogLog sketch.
    users_seen = models.IntegerField(default=0)
    users_sketch = models.BinaryField(default=b"", editable=False)
    first_release = models.CharField(max_length=250, blank=True, default="")
    last_release = models.CharField(max_length=250, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNRESOLVED)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_in_release = models.CharField(max_length=250, blank=True, default="")
    muted_until = models.DateTimeField(null=True, blank=True)
    # What free-text search looks in (issues/search.py): title, culprit and exception value, upper-cased and
    # joined by a separator no query contains. Stored by the database, so that a search that many issues match
    # compares this text instead of rebuilding it from three columns for every candidate row; PostgreSQL indexes
    # it with trigrams (migration 0008).
    search_document = models.GeneratedField(
        expression=Upper(
            Concat(
                "title",
                models.Value(SEARCH_SEPARATOR),
                "culprit",
                models.Value(SEARCH_SEPARATOR),
                Coalesce(KeyTextTransform("value", "metadata"), models.Value(""), output_field=models.TextField()),
                output_field=models.TextField(),
            )
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "short_id"], name="issue_short_id_per_project")]
        indexes = [
            # Keyset paging of the issue list for each sort order: (sort value, id) descending.
            models.Index(fields=["project", "status", "-last_seen", "-id"], name="issue_by_last_seen"),
            # The same order over every status (a query without `is:`): otherwise all the project's issues are
            # read and sorted to show the first fifty.
            models.Index(fields=["project", "-last_seen", "-id"], name="issue_by_last_seen_any_status"),
            models.Index(fields=["project", "-first_seen", "-id"], name="issue_by_first_seen"),
            models.Index(fields=["project", "-times_seen", "-id"], name="issue_by_times_seen"),
            models.Index(fields=["project", "-users_seen", "-id"], name="issue_by_users_seen"),
        ]

    def __str__(self):
        return self.title


class ProjectGrouping(models.Model):
    """The grouping version a project's events are grouped by (issues/grouping/), and after an upgrade, for the
    transition window, the version before it, whose keys digest still looks up (issues/project_grouping.py)."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, primary_key=True, related_name="grouping")
    version = models.CharField(max_length=32)
    previous_version = models.CharField(max_length=32, blank=True, default="")
    upgraded_at = models.DateTimeField(null=True, blank=True)


class Grouping(models.Model):
    """One grouping key (hash and readable parts) of one grouper version, pointing at the issue it belongs to.

    Kept apart from Issue so that merging issues, splitting them, and explaining "why grouped" are data edits.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="groupings")
    grouping_version = models.CharField(max_length=32)
    key_hash = models.CharField(max_length=64)
    key_text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # A key of a newer version added after an upgrade because the event's key of the previous version (this
    # grouping) already belonged to the issue: how issues keep their events across a change of rules.
    matched_previous = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "grouping_version", "key_hash"], name="grouping_key_unique_per_project"
            )
        ]


class Event(models.Model):
    """A stored event. The normalised payload is kept as zstd-compressed JSON: it is read whole, one event at a
    time, and this is compact on SQLite and Postgres alike."""

    # No single-column indexes on project and issue: the unique (project, event_id) and the (issue, timestamp)
    # indexes lead with them, and every index is paid for on each of the thousand inserts a second.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="events", db_index=False)
    grouping = models.ForeignKey(Grouping, on_delete=models.SET_NULL, null=True, related_name="+")
    event_id = models.UUIDField()
    timestamp = models.DateTimeField()
    received_at = models.DateTimeField()
    level = models.CharField(max_length=16, default="error")
    release = models.CharField(max_length=250, blank=True, default="")
    environment = models.CharField(max_length=64, blank=True, default="")
    # A stable identity of the user (id, else email, else username, else IP) for counting distinct users.
    user_key = models.CharField(max_length=200, blank=True, default="")
    payload = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "event_id"], name="event_id_unique_per_project")]
        indexes = [
            models.Index(fields=["issue", "-timestamp", "-id"], name="event_latest_of_issue"),
            # Retention's sweep finds the events past keeping by this, a batch at a time. Rows arrive in time order,
            # so each insert lands on the index's last page: the cheapest index there is to keep.
            models.Index(fields=["received_at"], name="event_by_arrival"),
        ]

    @staticmethod
    def compress(data: dict) -> bytes:
        return _codecs().compressor.compress(orjson.dumps(data))

    @cached_property
    def data(self) -> dict:
        return orjson.loads(_codecs().decompressor.decompress(bytes(self.payload)))


class IssueHourlyCount(models.Model):
    """Events per issue per hour, kept by digest so charts never count Event rows."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="hourly_counts")
    hour = models.DateTimeField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issue", "hour"], name="one_count_per_issue_hour")]
        indexes = [models.Index(fields=["project", "hour"], name="hourly_count_by_project")]


class IssueMinuteCount(models.Model):
    """Events per issue per minute of arrival, with a small sketch of their distinct users, kept by digest for a
    day: what alert rules such as "more than N events (or users) in M minutes" add up, without reading events."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+", db_index=False)
    minute = models.DateTimeField()
    count = models.IntegerField(default=0)
    users_sketch = models.BinaryField(default=b"")  # sketch.MINUTE_REGISTERS bytes, or empty: no user seen

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issue", "minute"], name="one_count_per_issue_minute")]
        indexes = [models.Index(fields=["project", "minute"], name="minute_count_by_project")]


class IssueTag(models.Model):
    """How often each tag value was seen on an issue's events: the facets of the issue page."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="tags")
    key = models.CharField(max_length=200)
    value = models.CharField(max_length=200)
    times_seen = models.BigIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issue", "key", "value"], name="one_row_per_issue_tag_value")]
        # Search terms such as `environment:production` or `browser:Firefox` find issues by tag value; without
        # this index each such filter reads every tag row of every issue.
        indexes = [models.Index(fields=["key", "value", "issue"], name="issue_tag_by_value")]


class IssueTransition(models.Model):
    """A change of an issue's state: its history, and the outbox that notify and the live UI read.

    Written in the same transaction as the change itself (by digest, or by the triage service for a person's
    action), so a transition exists exactly when the change was committed.
    """

    class Kind(models.TextChoices):
        NEW = "new"
        REGRESSED = "regressed"
        UNMUTED = "unmuted"
        ESCALATED = "escalated"
        RESOLVED = "resolved"
        UNRESOLVED = "unresolved"
        MUTED = "muted"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="transitions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    # Null when digest made the change; the person otherwise.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    event_id = models.UUIDField(null=True, blank=True)
    release = models.CharField(max_length=250, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["issue", "-created_at"], name="transition_history"),
            # notify's sweep: the recent transitions it has not handled yet.
            models.Index(fields=["created_at"], name="transition_by_time"),
        ]


class ProjectStorage(models.Model):
    """How much a project's stored events take, as retention's sweep last measured it (counting them on each page
    view would read every event row of a large project)."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, primary_key=True, related_name="+")
    events = models.BigIntegerField(default=0)
    bytes = models.BigIntegerField(default=0)  # the compressed payloads: most of an event's row
    measured_at = models.DateTimeField()
