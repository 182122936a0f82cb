"""Digest: pending inbox events become stored events under issues, in batches, each event exactly once.

One batch is one transaction: claim up to N pending inbox rows (Postgres `FOR UPDATE SKIP LOCKED`, so any number
of workers can run at once; SQLite's single writer makes the claim exclusive by itself), normalise and group them
in Python (after dropping those an inbound filter of their project matches: issues/inbound_filters.py), then
write with a fixed number of statements whatever the batch size: one multi-row insert of events,
one upsert per issue (counters aggregated in memory), multi-row upserts of hourly counts and tag counts, the
transition rows, and the delete of the consumed inbox rows. A crash anywhere before commit leaves the rows
pending and nothing counted; after commit the rows are gone and everything is counted.

New issues are the only contended writes: two workers may meet the same new grouping key in the same instant.
On Postgres, creating issues for a project takes a transaction-level advisory lock for that project, and the key
is looked up again under it, so a key gets exactly one Issue, one Grouping and one NEW transition; the unique
constraint on Grouping remains as a backstop. Locks are taken in a fixed order (projects, then issues by id,
then counter rows by key) so concurrent batches queue instead of deadlocking. Past a project's flood cap, an issue's
events are counted but not stored (issues/flood_cap.py).

Each attempt is counted before the batch's transaction begins (issues/claim.py), so that a worker dying in the
middle of a batch counts too. Events tried before are retried alone, so one bad event does not hold back the
others; an event that failed or died DIGEST_MAX_ATTEMPTS times is set aside (kept with its error, counted by
`manage.py status`), never dropped.
"""

import json
import logging
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
import psycopg
from django.db import connection, transaction
from django.utils import timezone

from issues import escalation, flood_cap, inbound_filters, lifecycle, metrics, sketch
from issues.claim import Claim, claim_next, claim_rows, finish_claim, pending_rows, record_failures, release
from issues.derived_tags import derived_tags
from issues.grouping import GroupingKey, grouping_key
from issues.live import project_changed
from issues.models import (
    Event,
    Grouping,
    InboxItem,
    Issue,
    IssueHourlyCount,
    IssueMinuteCount,
    IssueTag,
    IssueTransition,
)
from issues.normalize import normalize_event, summary, user_key
from issues.project_grouping import GroupingPlan, plans
from issues.releases import ReleaseOrder
from issues.signals import transitions_committed
from projects.models import Project
from projects.options import option

logger = logging.getLogger(__name__)

# Advisory lock namespace for "creating issues of project P": the lock key is this constant in the high 32 bits
# of a bigint and P in the low ones.
ISSUE_CREATION_LOCK = 0x7468


def batch_size() -> int:
    # SQLite blocks other writers (ingest) for the whole transaction, so batches stay small there.
    return option("DIGEST_BATCH_SIZE_SQLITE" if connection.vendor == "sqlite" else "DIGEST_BATCH_SIZE")


@dataclass
class BatchResult:
    claimed: int = 0
    stored: int = 0
    duplicates: int = 0
    failed: int = 0
    orphans: int = 0
    filtered: int = 0
    flood_capped: int = 0  # counted, but past the flood cap: not stored
    new_issues: int = 0
    retry: bool = False  # the batch was of rows tried before (small by design)
    # When the batch's oldest row was accepted (its lag, once committed: issues/metrics.py).
    oldest_received_at: datetime | None = None

    def add(self, other: "BatchResult") -> None:
        self.claimed += other.claimed
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.failed += other.failed
        self.orphans += other.orphans
        self.filtered += other.filtered
        self.flood_capped += other.flood_capped
        self.new_issues += other.new_issues


@dataclass
class Prepared:
    """One claimed event, normalised and grouped, ready to be written."""

    inbox_id: int
    project_id: int
    event_id: uuid.UUID
    received_at: datetime
    timestamp: datetime
    key: GroupingKey
    previous_key: GroupingKey | None  # the previous grouping version's, inside a transition window
    summary: dict
    platform: str
    level: str
    release: str
    environment: str
    user_key: str
    tags: list
    payload: bytes
    issue_id: int = 0
    grouping_id: int = 0


def _loads(payload: bytes):
    payload = InboxItem.unpack(payload)
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        # orjson is stricter than the JSON ingest accepted (e.g. integers beyond 64 bits): the stdlib decides.
        return json.loads(payload)


def prepare(
    inbox_id, project_id, event_id, received_at, raw: dict, *, scrub_ip_addresses: bool, grouping: GroupingPlan
) -> Prepared:
    """Normalise, scrub and group one event (`raw`: its JSON as the SDK sent it)."""
    received_at = received_at.astimezone(UTC)
    data = normalize_event(
        raw,
        event_id=event_id.hex,
        received_at=received_at,
        retention=timedelta(days=option("EVENT_RETENTION_DAYS")),
        scrub_ip_addresses=scrub_ip_addresses,
    )
    key = grouping_key(data, grouping.version)
    previous_key = grouping_key(data, grouping.previous) if grouping.previous else None
    if key.fingerprint:
        data["fingerprint"] = list(key.fingerprint)  # `{{ default }}` shown as the hash it stood for
    return Prepared(
        inbox_id=inbox_id,
        project_id=project_id,
        event_id=event_id,
        received_at=received_at,
        timestamp=datetime.fromisoformat(data["timestamp"]),
        key=key,
        previous_key=previous_key,
        summary=summary(data),
        platform=data["platform"],
        level=data["level"],
        release=data["release"],
        environment=data["environment"],
        user_key=user_key(data["user"]),
        tags=derived_tags(data),
        payload=Event.compress(data),
    )


def digest_batch(limit: int | None = None) -> BatchResult:
    """Digest the next pending events: up to `limit` never tried, fewer that were tried before."""
    claim = claim_next(limit or batch_size())
    if claim is None:
        return BatchResult()
    result = _digest_claimed(claim)
    # What this round took on, counting rows another worker took meanwhile: callers judge the backlog by it.
    result.claimed = len(claim.inbox_ids)
    result.retry = claim.retry
    _count(result)
    return result


def _count(result: BatchResult) -> None:
    """The batch's figures in the metrics (after its commit, or its failure)."""
    metrics.batches.inc()
    for name, n in (("stored", result.stored), ("duplicate", result.duplicates), ("failed", result.failed),
                    ("orphan", result.orphans)):  # fmt: skip
        if n:
            metrics.events.labels(name).inc(n)
    if result.new_issues:
        metrics.issues_created.inc(result.new_issues)
    if result.oldest_received_at is not None:
        metrics.lag.observe(max(0.0, (timezone.now() - result.oldest_received_at).total_seconds()))


def _digest_claimed(claim: Claim) -> BatchResult:
    try:
        with transaction.atomic():
            result = _digest_in_transaction(claim)
    except Exception as error:
        release(claim, failed=True)
        inbox_ids = claim.inbox_ids
        if len(inbox_ids) == 1:
            logger.warning("digest of inbox item %s failed", inbox_ids[0], exc_info=True)
            record_failures({inbox_ids[0]: error})
            return BatchResult(claimed=1, failed=1)
        # One event of the batch is bad (a database error on its row, say): halves until it is alone, so the
        # others are digested in a few batches rather than one transaction each.
        logger.warning("digest batch of %s events failed (%s); retrying it in halves", len(inbox_ids), error)
        result = BatchResult()
        middle = len(inbox_ids) // 2
        for half in (inbox_ids[:middle], inbox_ids[middle:]):
            retry = claim_rows(half)
            if retry is not None:
                result.add(_digest_claimed(retry))
        return result
    release(claim, failed=False)
    return result


def digest_until_empty(
    *, limit: int | None = None, on_full_batch=None, max_batches: int | None = None, until_short_batch: bool = False
) -> BatchResult:
    """Digest batches until none is pending (or `max_batches` were done); `on_full_batch()` is called after each
    batch that was full, i.e. while a backlog remains (production uses it to bring more workers in).

    `until_short_batch`: stop after a batch that was not full as well, for a caller that is sure to be called
    again for events arriving meanwhile (production's tasks), so that those are gathered into a batch of their
    own rather than taken by dribs. A round of rows tried before (small by design) does not count as short."""
    limit = limit or batch_size()
    total = BatchResult()
    batches = 0
    while max_batches is None or batches < max_batches:
        result = digest_batch(limit)
        batches += 1
        total.add(result)
        if result.claimed == 0:
            break
        if result.claimed >= limit:
            if on_full_batch is not None:
                on_full_batch()
        elif until_short_batch and not result.retry:
            break
    return total


def pending_events() -> bool:
    return pending_rows().exists()


@contextmanager
def _server_binding_cursor():
    """A PostgreSQL cursor on Django's connection (and transaction) whose parameters travel apart from the SQL,
    in binary where the SQL says %b. Django's own cursors bind on the client side: a batch's payloads and id lists
    would be inlined as text for the server to parse."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def _lock_claimed(inbox_ids: list[int]):
    """The claimed rows still pending, locked until commit.

    This waits for locks instead of skipping them: another worker's claim may hold some of these rows for a moment
    (it locks the first rows it sees before choosing among them), and skipping would leave them counted but not
    digested, again and again until they were set aside. A row another worker digested meanwhile is gone when the
    wait ends, and is not returned."""
    rows = (
        pending_rows()
        .filter(id__in=inbox_ids)
        .order_by("id")
        .select_for_update()
        .values_list("id", "project_id", "event_id", "received_at", "payload")
    )
    if connection.vendor != "postgresql":
        return list(rows)
    # Read in binary: as text the server hex-encodes every payload and the client decodes it, measured at 2.5
    # times the client's CPU of binary for a batch's payloads.
    sql, params = rows.query.sql_with_params()
    with _server_binding_cursor() as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


def _digest_in_transaction(claim: Claim) -> BatchResult:
    rows = _lock_claimed(claim.inbox_ids)
    finish_claim(claim)
    if not rows:
        return BatchResult()
    settings = Project.objects.filter(id__in={row[1] for row in rows}).values_list(
        "id", "scrub_ip_addresses", "flood_cap_per_hour"
    )
    scrub_ip = {project_id: scrub for project_id, scrub, _ in settings}
    flood_caps = {project_id: cap for project_id, _, cap in settings}
    grouping = plans(scrub_ip)
    filters = inbound_filters.active_filters(list(scrub_ip))
    prepared: list[Prepared] = []
    failures: dict[int, Exception] = {}
    orphans: list[int] = []  # rows of projects deleted since ingest accepted them
    dropped: list[int] = []  # rows an inbound filter of their project drops
    drops: Counter = Counter()  # (project id, filter id, day) -> events dropped
    for inbox_id, project_id, event_id, received_at, payload in rows:
        if project_id not in scrub_ip:
            orphans.append(inbox_id)
            continue
        try:
            raw = _loads(payload)
            # First of all: a dropped event costs no normalising, grouping or storing.
            filter_id = filters[project_id].first_match(raw) if project_id in filters else None
            if filter_id is not None:
                dropped.append(inbox_id)
                drops[(project_id, filter_id, received_at.astimezone(UTC).date())] += 1
                continue
            item = prepare(
                inbox_id,
                project_id,
                event_id,
                received_at,
                raw,
                scrub_ip_addresses=scrub_ip[project_id],
                grouping=grouping[project_id],
            )
            filter_id = filters[project_id].discarding(item.key, item.previous_key) if project_id in filters else None
            if filter_id is not None:
                dropped.append(inbox_id)
                drops[(project_id, filter_id, item.received_at.date())] += 1
                continue
            prepared.append(item)
        except Exception as error:
            logger.warning("event %s of project %s could not be digested", event_id, project_id, exc_info=True)
            failures[inbox_id] = error

    fresh, duplicates = _without_stored_events(prepared)
    result = BatchResult(
        claimed=len(rows),
        stored=len(fresh),
        duplicates=len(duplicates),
        failed=len(failures),
        orphans=len(orphans),
        filtered=len(dropped),
        oldest_received_at=min(row[3] for row in rows),
    )
    transitions: list[IssueTransition] = []
    if fresh:
        result.new_issues = _assign_issues(fresh, transitions)
        _update_issues(fresh, transitions)
        kept = flood_cap.events_to_store(fresh, flood_caps, {row.event_id for row in transitions})
        result.flood_capped = len(fresh) - len(kept)
        _insert_events(kept)
        _upsert_hourly_counts(fresh, {item.inbox_id for item in kept})
        _upsert_minute_counts(fresh)
        _upsert_tags(fresh)
    if transitions:
        IssueTransition.objects.bulk_create(transitions)
    inbound_filters.count_dropped(drops)
    _delete_inbox_rows([item.inbox_id for item in fresh] + duplicates + orphans + dropped)
    if failures:
        record_failures(failures)

    changed: dict[int, set[int]] = defaultdict(set)  # project id -> issue ids
    for item in fresh:
        changed[item.project_id].add(item.issue_id)
    for project_id, issue_ids in changed.items():
        project_changed(project_id, issue_ids)
    transition_ids = [row.id for row in transitions]
    if transition_ids:
        transaction.on_commit(lambda: _announce_transitions(transition_ids))
    return result


def _announce_transitions(transition_ids: list[int]) -> None:
    for receiver, response in transitions_committed.send_robust(sender=IssueTransition, transition_ids=transition_ids):
        if isinstance(response, Exception):
            logger.error("transitions_committed receiver %r failed", receiver, exc_info=response)


def _without_stored_events(prepared: list[Prepared]) -> tuple[list[Prepared], list[int]]:
    """Split off events already stored (a client resending after digest): their inbox rows go, nothing is counted."""
    if not prepared:
        return [], []
    stored = _stored_event_ids(prepared)
    fresh, duplicates, seen = [], [], set()
    for item in prepared:
        identity = (item.project_id, item.event_id)
        if identity in stored or identity in seen:
            duplicates.append(item.inbox_id)
        else:
            seen.add(identity)
            fresh.append(item)
    return fresh, duplicates


def _stored_event_ids(prepared: list[Prepared]) -> set[tuple[int, uuid.UUID]]:
    if connection.vendor != "postgresql":
        return set(
            Event.objects.filter(
                project_id__in={item.project_id for item in prepared},
                event_id__in=[item.event_id for item in prepared],
            ).values_list("project_id", "event_id")
        )
    # Two binary arrays: the ORM's IN list prepared each of a batch's 500 ids in Python, 7% of a worker's time.
    with _server_binding_cursor() as cursor:
        cursor.execute(
            f"SELECT project_id, event_id FROM {Event._meta.db_table} WHERE (project_id, event_id) IN "
            "(SELECT * FROM unnest(%b::bigint[], %b::uuid[]))",
            [[item.project_id for item in prepared], [item.event_id for item in prepared]],
        )
        return set(cursor.fetchall())


def _groupings(keys: set[tuple[int, str, str]]) -> dict[tuple[int, str, str], tuple[int, int]]:
    """(project id, version, key hash) -> (grouping id, issue id) for those of `keys` that exist."""
    if not keys:
        return {}
    rows = Grouping.objects.filter(
        project_id__in={project_id for project_id, _, _ in keys},
        grouping_version__in={version for _, version, _ in keys},
        key_hash__in={key_hash for _, _, key_hash in keys},
    ).values_list("project_id", "grouping_version", "key_hash", "id", "issue_id")
    return {(p, v, h): (g, i) for p, v, h, g, i in rows if (p, v, h) in keys}


def _identity(project_id: int, key: GroupingKey) -> tuple[int, str, str]:
    return project_id, key.version, key.hash


def _assign_issues(fresh: list[Prepared], transitions: list) -> int:
    """Set each event's issue and grouping, creating issues for new keys; returns how many were created.

    Inside a project's transition window, a key of the new version that is not known yet is looked up by the
    event's key of the previous version: when that one belongs to an issue, the event joins it and the new key is
    added to the issue (so its next events need one look-up)."""
    first_of_key: dict[tuple[int, str, str], Prepared] = {}
    for item in fresh:
        first_of_key.setdefault(_identity(item.project_id, item.key), item)
    found = _groupings(set(first_of_key))
    missing = set(first_of_key) - set(found)
    if missing:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for project_id in sorted({project_id for project_id, _, _ in missing}):
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [(ISSUE_CREATION_LOCK << 32) | project_id])
            # Another worker may have created some of these while we waited for the lock.
            found.update(_groupings(missing))
            missing -= set(found)
        found.update(_join_by_previous_keys([first_of_key[key] for key in missing]))
        missing -= set(found)
        firsts = sorted((first_of_key[key] for key in missing), key=lambda item: item.inbox_id)
        found.update(_create_issues(firsts, transitions))
    for item in fresh:
        item.grouping_id, item.issue_id = found[_identity(item.project_id, item.key)]
    return len(missing)


def _join_by_previous_keys(firsts: list[Prepared]) -> dict[tuple[int, str, str], tuple[int, int]]:
    """New keys whose event's previous-version key belongs to an issue: added to that issue."""
    candidates = [item for item in firsts if item.previous_key is not None]
    previous = _groupings({_identity(item.project_id, item.previous_key) for item in candidates})
    joined = {}
    for item in candidates:
        match = previous.get(_identity(item.project_id, item.previous_key))
        if match is None:
            continue
        old_grouping_id, issue_id = match
        grouping = Grouping.objects.create(
            project_id=item.project_id,
            issue_id=issue_id,
            grouping_version=item.key.version,
            key_hash=item.key.hash,
            key_text=item.key.text,
            matched_previous_id=old_grouping_id,
        )
        joined[_identity(item.project_id, item.key)] = (grouping.id, issue_id)
    return joined


def _create_issues(firsts: list[Prepared], transitions: list) -> dict[tuple[int, str], tuple[int, int]]:
    created = {}
    next_short_id = {}
    for item in firsts:
        if item.project_id not in next_short_id:
            highest = (
                Issue.objects.filter(project_id=item.project_id)
                .order_by("-short_id")
                .values_list("short_id", flat=True)
                .first()
            )
            next_short_id[item.project_id] = (highest or 0) + 1
        issue = Issue.objects.create(
            project_id=item.project_id,
            short_id=next_short_id[item.project_id],
            title=item.summary["title"],
            culprit=item.summary["culprit"],
            metadata=item.summary["metadata"],
            level=item.level,
            platform=item.platform,
            first_seen=item.timestamp,
            last_seen=item.timestamp,
            first_release=item.release,
            last_release=item.release,
        )
        next_short_id[item.project_id] += 1
        grouping = Grouping.objects.create(
            project_id=item.project_id,
            issue=issue,
            grouping_version=item.key.version,
            key_hash=item.key.hash,
            key_text=item.key.text,
        )
        transitions.append(
            IssueTransition(
                project_id=item.project_id,
                issue=issue,
                kind=IssueTransition.Kind.NEW,
                event_id=item.event_id,
                release=item.release,
                details={"grouping": item.key.kind},
            )
        )
        created[_identity(item.project_id, item.key)] = (grouping.id, issue.id)
    return created


def _update_issues(fresh: list[Prepared], transitions: list) -> None:
    """One read (locking the rows, in id order) and one write per touched issue, whatever the number of events."""
    by_issue: dict[int, list[Prepared]] = defaultdict(list)  # each issue's events in arrival (inbox) order
    for item in fresh:
        by_issue[item.issue_id].append(item)
    current = Issue.objects.filter(id__in=by_issue).order_by("id").select_for_update()
    now = timezone.now()
    updates = []
    adapt = connection.ops.adapt_datetimefield_value
    rows = list(
        current.values(
            "id",
            "project_id",
            *lifecycle.STATE_FIELDS,
            "times_seen",
            "first_seen",
            "last_seen",
            "users_sketch",
            "last_release",
            "level",
        )
    )
    this_hour = escalation.hour_of(now)
    states = {issue["id"]: lifecycle.IssueState.of(issue) for issue in rows}
    escalating = escalation.escalating_issues(
        [issue for issue in rows if lifecycle.may_escalate(states[issue["id"]]) and escalation.old_enough(issue, now)],
        {
            issue["id"]: sum(1 for item in by_issue[issue["id"]] if escalation.hour_of(item.timestamp) == this_hour)
            for issue in rows
        },
        now,
    )
    recent = _recent_counts([issue["id"] for issue in rows if states[issue["id"]].mute_condition.get("kind") == "rate"])
    orders: dict[int, ReleaseOrder] = {}
    json_value = Issue._meta.get_field("mute_condition").get_db_prep_value
    for issue in rows:
        events = by_issue[issue["id"]]
        latest = max(events, key=lambda item: item.timestamp)
        registers = sketch.registers_of(issue["users_sketch"])
        for item in events:
            if item.user_key:
                sketch.add(registers, item.user_key)
        last_hour, last_day = recent.get(issue["id"], (0, 0))
        counters = lifecycle.Counters(
            times_seen=issue["times_seen"] + len(events),
            users_seen=sketch.estimate(registers),
            events_last_hour=last_hour + sum(1 for item in events if item.received_at >= now - escalation.HOUR),
            events_last_day=last_day + len(events),
        )
        order = orders.setdefault(issue["project_id"], ReleaseOrder(issue["project_id"]))
        outcome = lifecycle.on_events(
            states[issue["id"]], events, now, escalating.get(issue["id"]), counters, order.is_newer
        )
        transitions.extend(_transition(issue, step) for step in outcome.steps)
        state = outcome.state
        updates.append(
            [
                counters.times_seen,
                adapt(min(issue["first_seen"], min(item.timestamp for item in events))),
                adapt(max(issue["last_seen"], latest.timestamp)),
                counters.users_seen,
                bytes(registers),
                latest.release or issue["last_release"],
                latest.level,
                state.status,
                adapt(state.resolved_at),
                state.resolved_in_release,
                state.resolved_after_release,
                adapt(state.muted_until),
                json_value(state.mute_condition, connection),
                json_value(state.rearm, connection),
                issue["id"],
            ]
        )
    table = Issue._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET times_seen = %s, first_seen = %s, last_seen = %s, users_seen = %s, "
            "users_sketch = %s, last_release = %s, level = %s, status = %s, resolved_at = %s, "
            "resolved_in_release = %s, resolved_after_release = %s, muted_until = %s, mute_condition = %s, rearm = %s "
            "WHERE id = %s",
            updates,
        )


def _recent_counts(issue_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Issue id -> its events (before this batch) of the last hour and the last day, from the minute counts: what
    a mute until N events within an hour or a day compares with. Read for such muted issues only."""
    if not issue_ids:
        return {}
    now = timezone.now()
    counts = defaultdict(lambda: [0, 0])
    for issue_id, minute, count in IssueMinuteCount.objects.filter(
        issue_id__in=issue_ids, minute__gte=_minute_of(now - timedelta(days=1))
    ).values_list("issue_id", "minute", "count"):
        counts[issue_id][1] += count
        if minute >= _minute_of(now - escalation.HOUR):
            counts[issue_id][0] += count
    return {issue_id: (hour, day) for issue_id, (hour, day) in counts.items()}


def _transition(issue: dict, step: lifecycle.Step) -> IssueTransition:
    return IssueTransition(
        project_id=issue["project_id"],
        issue_id=issue["id"],
        kind=step.kind,
        event_id=step.event.event_id,
        release=step.event.release,
        details=step.details,
    )


def _db_uuid(value: uuid.UUID):
    return value if connection.features.has_native_uuid_field else value.hex


def _insert_rows(sql_head: str, types: list[str], rows: list, sql_tail: str = "") -> None:
    """INSERT many rows at once: `sql_head` names the table and columns, `types` their Postgres types, and
    `sql_tail` is an optional ON CONFLICT clause.

    Postgres gets one statement whatever the number of rows: one array parameter per column, unnested. (A
    statement of N value lists costs more to build and parse than the rows cost to insert; executemany, even
    pipelined, pays a round of protocol messages per row.) SQLite gets executemany, which is in-process there.
    """
    if not rows:
        return
    if connection.vendor == "postgresql":
        columns = [list(column) for column in zip(*rows, strict=True)]
        # %b: the arrays travel in binary. As text, each element is escaped in Python and parsed by the server
        # (a batch's compressed payloads as hex): measured ten times the client's CPU of binary for the events.
        unnest = ", ".join(f"%b::{type_}[]" for type_ in types)
        with _server_binding_cursor() as cursor:
            cursor.execute(f"{sql_head} SELECT * FROM unnest({unnest}) {sql_tail}", columns)
    else:
        row_sql = "(" + ", ".join(["%s"] * len(types)) + ")"
        with connection.cursor() as cursor:
            cursor.executemany(f"{sql_head} VALUES {row_sql} {sql_tail}", rows)


def _insert_events(fresh: list[Prepared]) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    _insert_rows(
        f"INSERT INTO {Event._meta.db_table} (project_id, issue_id, grouping_id, event_id, timestamp, received_at, "
        "level, release, environment, user_key, payload)",
        ["bigint", "bigint", "bigint", "uuid", "timestamptz", "timestamptz", "text", "text", "text", "text", "bytea"],
        [
            [
                item.project_id,
                item.issue_id,
                item.grouping_id,
                _db_uuid(item.event_id),
                adapt(item.timestamp),
                adapt(item.received_at),
                item.level,
                item.release,
                item.environment,
                item.user_key,
                item.payload,
            ]
            for item in fresh
        ],
    )


def _upsert_hourly_counts(fresh: list[Prepared], stored: set[int]) -> None:
    """Add the batch's events to their issues' hourly counts, and those stored (by inbox id) to the stored counts."""
    counts: dict[tuple[int, int, datetime], list[int]] = defaultdict(lambda: [0, 0])
    for item in fresh:
        entry = counts[(item.issue_id, item.project_id, item.timestamp.replace(minute=0, second=0, microsecond=0))]
        entry[0] += 1
        entry[1] += item.inbox_id in stored
    adapt = connection.ops.adapt_datetimefield_value
    table = IssueHourlyCount._meta.db_table
    _insert_rows(
        f"INSERT INTO {table} (issue_id, project_id, hour, count, stored)",
        ["bigint", "bigint", "timestamptz", "integer", "integer"],
        [
            [issue_id, project_id, adapt(hour), count, n_stored]
            for (issue_id, project_id, hour), (count, n_stored) in sorted(counts.items())
        ],
        f"ON CONFLICT (issue_id, hour) DO UPDATE SET count = {table}.count + excluded.count, "
        f"stored = {table}.stored + excluded.stored",
    )


def _minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _upsert_minute_counts(fresh: list[Prepared]) -> None:
    """Add the batch's events to each issue's count of the minute they arrived in, and their users to its sketch.

    A sketch cannot be merged in SQL, so the minutes' stored sketches are read and merged here: safe, because this
    transaction holds the row locks of these issues (_update_issues), so no other batch writes their minutes."""
    counts: dict[tuple[int, datetime], int] = defaultdict(int)
    projects: dict[int, int] = {}
    users: dict[tuple[int, datetime], bytearray] = {}
    for item in fresh:
        key = (item.issue_id, _minute_of(item.received_at))
        counts[key] += 1
        projects[item.issue_id] = item.project_id
        if item.user_key:
            if key not in users:
                users[key] = bytearray(sketch.MINUTE_REGISTERS)
            sketch.add(users[key], item.user_key)
    if users:
        stored = IssueMinuteCount.objects.filter(
            issue_id__in={issue_id for issue_id, _ in users}, minute__in={minute for _, minute in users}
        ).values_list("issue_id", "minute", "users_sketch")
        for issue_id, minute, registers in stored:
            if (issue_id, minute) in users and registers:
                sketch.merge(users[(issue_id, minute)], bytes(registers))
    adapt = connection.ops.adapt_datetimefield_value
    table = IssueMinuteCount._meta.db_table
    _insert_rows(
        f"INSERT INTO {table} (issue_id, project_id, minute, count, users_sketch)",
        ["bigint", "bigint", "timestamptz", "integer", "bytea"],
        [
            [issue_id, projects[issue_id], adapt(minute), count, bytes(users.get((issue_id, minute), b""))]
            for (issue_id, minute), count in sorted(counts.items())
        ],
        f"ON CONFLICT (issue_id, minute) DO UPDATE SET count = {table}.count + excluded.count, "
        # A batch without users keeps the minute's sketch; one with users brings it merged.
        f"users_sketch = CASE WHEN length(excluded.users_sketch) = 0 THEN {table}.users_sketch "
        "ELSE excluded.users_sketch END",
    )


def _upsert_tags(fresh: list[Prepared]) -> None:
    seen: dict[tuple[int, str, str], list] = {}
    for item in fresh:
        for key, value in item.tags:
            entry = seen.get((item.issue_id, key, value))
            if entry is None:
                seen[(item.issue_id, key, value)] = [1, item.timestamp, item.timestamp]
            else:
                entry[0] += 1
                entry[1] = min(entry[1], item.timestamp)
                entry[2] = max(entry[2], item.timestamp)
    adapt = connection.ops.adapt_datetimefield_value
    table = IssueTag._meta.db_table
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    least = "LEAST" if connection.vendor == "postgresql" else "MIN"
    _insert_rows(
        f'INSERT INTO {table} (issue_id, "key", "value", times_seen, first_seen, last_seen)',
        ["bigint", "text", "text", "bigint", "timestamptz", "timestamptz"],
        [
            [issue_id, key, value, n, adapt(first), adapt(last)]
            for (issue_id, key, value), (n, first, last) in sorted(seen.items())
        ],
        f'ON CONFLICT (issue_id, "key", "value") DO UPDATE SET times_seen = {table}.times_seen + excluded.times_seen, '
        f"first_seen = {least}({table}.first_seen, excluded.first_seen), "
        f"last_seen = {greatest}({table}.last_seen, excluded.last_seen)",
    )


def _delete_inbox_rows(inbox_ids: list[int]) -> None:
    if not inbox_ids:
        return
    if connection.vendor != "postgresql":
        InboxItem.objects.filter(id__in=inbox_ids)._raw_delete(connection.alias)
        return
    # One binary array: the ORM's IN list of a batch's 500 ids cost 3% of a worker's time.
    with _server_binding_cursor() as cursor:
        cursor.execute(f"DELETE FROM {InboxItem._meta.db_table} WHERE id = ANY(%b::bigint[])", [inbox_ids])
