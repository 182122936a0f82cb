"""The sender: starts the deliveries that are due, within each channel's limits, sends them outside any
transaction, and records what happened.

Per channel, under a lock on its row (so two senders never both decide for one channel):
- a delivery tried before (a retry, or one whose sender died: its lease ran out) is sent again: it was counted
  when first tried. Its id is the same, so a receiver can drop a message it already has (X-Tracehound-Delivery);
- alerts held back in an earlier hour (over the hourly cap) are announced by one "held back" notice;
- over ALERT_HOURLY_CAP messages this clock hour, new alerts are held (kept, shown on the channel page);
- within the storm limit (at most ALERT_STORM_MESSAGES messages in ALERT_STORM_SECONDS) new alerts go one by one;
  beyond it they are folded into one summary, sent at once, or, when a summary already went out within the
  window, when that window ends, so that a storm costs a channel a message or two a minute.

A started delivery is leased: marked "sending" until its lease ends. Sends run in parallel threads, each bounded
by the transports' own hard timeouts, so a channel that hangs delays nothing but itself. A failure worth retrying
(a 5xx, a 429, a timeout) is tried again after ALERT_RETRY_DELAYS_SECONDS (or the receiver's Retry-After), six
tries in about an hour in all; any other failure is final, with its reason kept on the delivery and the channel.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from notify import metrics
from notify.compose import compose
from notify.models import Channel, Delivery
from notify.transports import SendResult
from notify.transports.registry import transport_for
from projects.options import option

logger = logging.getLogger(__name__)

PARALLEL_SENDS = 8
# A sender holds a delivery this long past the transports' hard timeout before another may take it over.
LEASE_MARGIN_SECONDS = 20
# The most a receiver's Retry-After may postpone a retry.
MAX_RETRY_AFTER_SECONDS = 3600
STARTED_PER_ROUND = 200


def _due(now: datetime) -> Q:
    pending = Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
    abandoned = Q(status=Delivery.Status.SENDING, lease_until__lt=now)
    return pending | abandoned


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=option("ALERT_TOTAL_TIMEOUT_SECONDS") + LEASE_MARGIN_SECONDS)


def send_due(now: datetime | None = None) -> int:
    """Send what is due now; returns how many messages were sent successfully."""
    now = now or timezone.now()
    hour_start = now.replace(minute=0, second=0, microsecond=0)
    channel_ids = set(
        Delivery.objects.filter(_due(now)).values_list("channel_id", flat=True).distinct()[:STARTED_PER_ROUND]
    )
    # Held alerts of an earlier hour wait for their notice even when nothing else is due.
    channel_ids |= set(
        Delivery.objects.filter(status=Delivery.Status.HELD, carried_by=None, created_at__lt=hour_start)
        .values_list("channel_id", flat=True)
        .distinct()
    )
    started: list[Delivery] = []
    for channel_id in sorted(channel_ids):
        with transaction.atomic():
            channel = Channel.objects.select_for_update().filter(pk=channel_id).first()
            if channel is not None:
                started += _start(channel, now)
    if not started:
        return 0
    with ThreadPoolExecutor(max_workers=min(PARALLEL_SENDS, len(started))) as pool:
        results = list(pool.map(_send_in_thread, started))
    for delivery, result in zip(started, results, strict=True):
        record(delivery, result, now)
    return sum(1 for result in results if result.ok)


def _start(channel: Channel, now: datetime) -> list[Delivery]:
    """Decide, under the channel's lock, what it sends now; those deliveries are marked started and returned."""
    deliveries = channel.deliveries
    to_start = list(deliveries.filter(_due(now), attempts__gt=0))
    summary = deliveries.filter(kind=Delivery.Kind.SUMMARY, status=Delivery.Status.PENDING, attempts=0).first()
    if summary is not None and summary.next_attempt_at > now:
        # A storm: new alerts wait, and are folded into the summary when it is due (a round costs 3 queries).
        return _mark_started(to_start, now)
    hour_start = now.replace(minute=0, second=0, microsecond=0)
    sent_this_hour = deliveries.filter(first_attempt_at__gte=hour_start).exclude(kind=Delivery.Kind.TEST).count()
    room = option("ALERT_HOURLY_CAP") - sent_this_hour

    held_earlier = deliveries.filter(status=Delivery.Status.HELD, carried_by=None, created_at__lt=hour_start)
    if room > 0 and held_earlier.exists():
        notice = Delivery.objects.create(channel=channel, kind=Delivery.Kind.HELD_NOTICE, created_at=now)
        held_earlier.update(carried_by=notice)
        to_start.append(notice)
        room -= 1

    # New alerts are counted, and loaded only when they go one by one: in a storm they are thousands.
    fresh = deliveries.filter(_due(now), attempts=0, kind=Delivery.Kind.ALERT)
    fresh_count = fresh.count()
    if room <= 0:
        _hold(fresh, summary)
        return _mark_started(to_start, now)

    window = timedelta(seconds=option("ALERT_STORM_SECONDS"))
    recent = deliveries.filter(
        first_attempt_at__gte=now - window, kind__in=[Delivery.Kind.ALERT, Delivery.Kind.SUMMARY]
    )
    last_summary = recent.filter(kind=Delivery.Kind.SUMMARY).order_by("-first_attempt_at").first()
    budget = min(option("ALERT_STORM_MESSAGES") - recent.count(), room)
    if summary is None and last_summary is None and fresh_count <= budget:
        return _mark_started(to_start + list(fresh.order_by("created_at")), now)
    if fresh_count:
        if summary is None:
            # The first summary of a storm goes at once; a later one when the window of the last one ends.
            due = now if last_summary is None else last_summary.first_attempt_at + window
            summary = Delivery.objects.create(
                channel=channel, kind=Delivery.Kind.SUMMARY, created_at=now, next_attempt_at=due
            )
        fresh.update(status=Delivery.Status.SUMMARIZED, carried_by=summary)
    if summary is not None and summary.next_attempt_at <= now:
        to_start.append(summary)
    return _mark_started(to_start, now)


def _hold(fresh, summary: Delivery | None) -> None:
    """Over the hourly cap: new alerts, and those a summary not yet sent would have carried, wait for the notice."""
    fresh.update(status=Delivery.Status.HELD)
    if summary is not None:
        summary.carries.update(status=Delivery.Status.HELD, carried_by=None)
        summary.delete()


def _mark_started(deliveries: list[Delivery], now: datetime) -> list[Delivery]:
    lease = _lease(now)
    for delivery in deliveries:
        delivery.status = Delivery.Status.SENDING
        delivery.attempts += 1
        delivery.first_attempt_at = delivery.first_attempt_at or now
        delivery.lease_until = lease
    Delivery.objects.bulk_update(deliveries, ["status", "attempts", "first_attempt_at", "lease_until"])
    return deliveries


def _send_in_thread(delivery: Delivery) -> SendResult:
    try:
        return send(delivery)
    finally:
        connection.close()  # the thread ends with the round: its connection must not outlive it


def send(delivery: Delivery) -> SendResult:
    """Compose and send one started delivery; never raises."""
    try:
        channel = Channel.objects.select_related("project").get(pk=delivery.channel_id)
        delivery = Delivery.objects.select_related("alert__issue__project", "alert__rule").get(pk=delivery.pk)
        delivery.channel = channel
        return transport_for(channel.kind).send(channel, compose(delivery))
    except Exception as error:  # a bug, or a channel deleted meanwhile: recorded, never raised into the loop
        logger.exception("sending delivery %s failed", delivery.pk)
        return SendResult(ok=False, detail=f"internal error: {type(error).__name__}: {error}"[:500], retry=True)


def record(delivery: Delivery, result: SendResult, now: datetime | None = None) -> None:
    """Store the outcome of one send on the delivery and its channel."""
    now = now or timezone.now()
    delays = option("ALERT_RETRY_DELAYS_SECONDS")
    changes = {"lease_until": None, "last_error": "" if result.ok else result.detail[:2000]}
    if result.ok:
        changes.update(status=Delivery.Status.SENT, sent_at=now)
        outcome = "sent"
    elif result.retry and delivery.kind != Delivery.Kind.TEST and delivery.attempts <= len(delays):
        wait = delays[delivery.attempts - 1]
        if result.retry_after is not None:
            wait = min(max(result.retry_after, 1), MAX_RETRY_AFTER_SECONDS)
        changes.update(status=Delivery.Status.PENDING, next_attempt_at=now + timedelta(seconds=wait))
        outcome = "retrying"
    else:
        changes.update(status=Delivery.Status.FAILED)
        outcome = "failed"
    metrics.deliveries.labels(delivery.channel.kind, outcome).inc()
    # Only while this sender still holds it: a delivery taken over after its lease ran out is the other's now.
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(**changes)
    if result.ok:
        Channel.objects.filter(pk=delivery.channel_id).update(last_sent_at=now, last_error="", last_error_at=None)
    else:
        Channel.objects.filter(pk=delivery.channel_id).update(last_error=result.detail[:2000], last_error_at=now)


def send_test_message(channel: Channel, actor=None) -> SendResult:
    """Send a test message to `channel` now (the channel page's button), recorded like any delivery."""
    now = timezone.now()
    delivery = Delivery.objects.create(
        channel=channel,
        kind=Delivery.Kind.TEST,
        status=Delivery.Status.SENDING,
        attempts=1,
        first_attempt_at=now,
        lease_until=_lease(now),
        created_at=now,
    )
    result = send(delivery)
    record(delivery, result)
    return result
