"""Incidents: failures that something other than an SDK observed (a monitor's missed, failed or timed-out run) become
issues like any other, so lists, search, triage, history, live updates and alert rules treat them alike.

The one path for them: a failure is written as an event into the inbox, in the caller's transaction, and digest
groups it by its fingerprint (one issue per incident key), which makes the first failure a new issue, a failure
after a resolution a regression, and keeps mutes as they are. A recovery resolves the issue through the triage
service's path, as a `recovered` transition that says how long the outage lasted (what a recovery alert tells).
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from django.db import transaction

from issues import handoff, triage
from issues.models import Event, InboxItem, Issue

LOGGER = "tracehound.monitors"


@dataclass(frozen=True)
class Failure:
    incident_key: str  # one issue per key and project, e.g. "monitor:42"
    message: str  # the event's message: the issue's title when it opens one
    occurred_at: datetime
    environment: str = ""
    release: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def record_failure(project_id: int, failure: Failure) -> uuid.UUID:
    """Queue the failure as an event of the project (committed with the caller's transaction); its event id."""
    event_id = uuid.uuid4()
    event = {
        "event_id": event_id.hex,
        "timestamp": failure.occurred_at.timestamp(),
        "level": "error",
        "platform": "other",
        "logger": LOGGER,
        "message": failure.message,
        "fingerprint": ["tracehound-incident", failure.incident_key],
        "environment": failure.environment or None,
        "release": failure.release or None,
        "tags": failure.tags,
        "extra": failure.extra,
    }
    InboxItem.objects.create(
        project_id=project_id,
        item_type=InboxItem.ItemType.EVENT,
        event_id=event_id,
        payload=InboxItem.pack(orjson.dumps(event)),
    )
    transaction.on_commit(lambda: handoff.events_accepted(project_id))
    return event_id


def issue_of_failure(project_id: int, event_id: uuid.UUID) -> int | None:
    """The id of the issue a recorded failure became; None until digest has stored it."""
    return Event.objects.filter(project_id=project_id, event_id=event_id).values_list("issue_id", flat=True).first()


def recover(project_id: int, failure_event_id: uuid.UUID, outage_started_at: datetime, now: datetime) -> bool:
    """Resolve the issue of an incident whose latest failure was `failure_event_id`, recording how long the outage
    lasted. False when digest has not stored that failure yet (try again later); True once done, or when there is
    nothing to resolve (the issue is resolved already, muted by a person, or gone)."""
    issue_id = issue_of_failure(project_id, failure_event_id)
    if issue_id is None:
        # Waiting for digest: later. Otherwise dropped by an inbound filter, or deleted: nothing to resolve.
        waiting = InboxItem.objects.filter(project_id=project_id, item_type=InboxItem.ItemType.EVENT, set_aside=False)
        return not waiting.filter(event_id=failure_event_id).exists()
    seconds = max(0, round((now - outage_started_at).total_seconds()))
    triage.recover_issues(Issue.objects.filter(id=issue_id), seconds, failure_event_id)
    return True
