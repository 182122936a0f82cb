"""Check-ins that came in Sentry envelopes: ingest commits them to its inbox (InboxItem rows of type check_in)
and answers 200; this reads them in the order they came, applies each, and deletes it.

Rows are taken under SKIP LOCKED, so several workers share them; each is applied in a savepoint of its own, so one
that fails is set aside with its reason rather than taking its batch down or being retried forever. A check-in
refused for what it says (an unknown slug without a monitor_config, a bad crontab or time zone, over the per-monitor
limit) is logged and dropped: its client was answered long ago, as Sentry answers it.
"""

import logging
from datetime import datetime

import orjson
from django.db import transaction

from issues.models import InboxItem
from monitors.checkins import (
    CheckInReport,
    checked_check_in_id,
    checked_duration,
    checked_status,
    checked_text,
    find_monitor,
    record_check_in,
    upsert_monitor,
)
from monitors.errors import CheckInRefused
from monitors.models import CheckIn

logger = logging.getLogger(__name__)

BATCH = 200


def pending_check_ins():
    return InboxItem.objects.filter(item_type=InboxItem.ItemType.CHECK_IN, set_aside=False)


def apply_pending(limit: int = BATCH) -> int:
    """Apply up to `limit` waiting check-ins; how many rows were taken."""
    with transaction.atomic():
        rows = list(
            pending_check_ins()
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("id", "project_id", "received_at", "payload")[:limit]
        )
        for inbox_id, project_id, received_at, payload in rows:
            try:
                with transaction.atomic():
                    apply_item(project_id, orjson.loads(InboxItem.unpack(payload)), received_at)
            except CheckInRefused as refusal:
                logger.info("monitors: check-in of project %s dropped: %s", project_id, refusal.detail)
            except Exception as error:
                logger.exception("monitors: check-in %s failed", inbox_id)
                InboxItem.objects.filter(id=inbox_id).update(
                    set_aside=True, attempts=1, last_error=f"{type(error).__name__}: {error}"[:2000]
                )
                continue
            InboxItem.objects.filter(id=inbox_id).delete()
    return len(rows)


def apply_until_empty() -> int:
    total = 0
    while taken := apply_pending():
        total += taken
        if taken < BATCH:
            break
    return total


def apply_item(project_id: int, item, received_at: datetime) -> CheckIn | None:
    """One Sentry check_in item: {check_in_id, monitor_slug, status, duration?, environment?, release?,
    monitor_config?}."""
    if not isinstance(item, dict):
        raise CheckInRefused("check-in is not an object")
    slug = item.get("monitor_slug")
    config = item.get("monitor_config")
    report = CheckInReport(
        status=checked_status(item.get("status")),
        source=CheckIn.Source.SDK,
        check_in_id=checked_check_in_id(item.get("check_in_id")),
        duration=checked_duration(item.get("duration")),
        environment=checked_text(item.get("environment"), "environment"),
        release=checked_text(item.get("release"), "release", 250),
    )
    monitor = upsert_monitor(project_id, slug, config) if config else find_monitor(project_id, slug)
    return record_check_in(monitor, report, now=received_at)
