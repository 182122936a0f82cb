"""The sender against real local receivers: delivered once, retried when it can help, never flooding a channel."""

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from prometheus_client import REGISTRY

from notify.evaluate import Firing, fire
from notify.models import AlertRule, Channel, Delivery
from notify.sending import send_due, send_test_message
from tests.frontend.factories import make_issue, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def webhook(project, receiver):
    """A webhook channel of `project` pointed at `path` of the local receiver, with a rule that uses it."""

    def make(path="/ok", name="hook") -> Channel:
        channel = Channel.objects.create(project=project, name=name, kind="webhook", config={"url": receiver.url(path)})
        rule = AlertRule.objects.create(project=project, name=f"rule {name}", triggers=["new_issue"])
        rule.channels.add(channel)
        return channel

    return make


def alert(channel: Channel, title="ZeroDivisionError: division by zero", now=None) -> Delivery:
    """A new-issue alert of a fresh issue, to `channel` only."""
    rule = channel.rules.get()
    issue = make_issue(channel.project, title=title)
    with transaction.atomic():
        fire([Firing(rule, issue.id, "new_issue", details={"environment": "production"})], now)
    return Delivery.objects.get(alert__issue=issue, channel=channel)


def posted_kinds(receiver) -> list[tuple[str, str]]:
    return [(request.json()["kind"], request.headers["X-Tracehound-Delivery"]) for request in receiver.requests]


def test_an_alert_is_sent_once_with_its_delivery_id(webhook, receiver):
    delivery = alert(webhook())
    assert send_due() == 1
    assert send_due() == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    [request] = receiver.requests
    assert request.headers["X-Tracehound-Delivery"] == delivery.id.hex
    body = request.json()
    assert body["kind"] == "alert" and body["headline"] == "New issue"
    assert body["issue"]["title"] == "ZeroDivisionError: division by zero"
    assert Channel.objects.get(pk=delivery.channel_id).last_sent_at is not None


def test_a_5xx_is_retried_on_the_schedule_then_given_up_with_its_reason(webhook, receiver, settings):
    delivery = alert(webhook("/500"))
    now = timezone.now()
    delays = settings.TRACEHOUND["ALERT_RETRY_DELAYS_SECONDS"]
    for attempt, delay in enumerate(delays, start=1):
        send_due(now)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", attempt)
        assert delivery.next_attempt_at == now + timedelta(seconds=delay)
        assert send_due(now + timedelta(seconds=delay - 1)) == 0 and len(receiver.requests) == attempt  # not yet
        now += timedelta(seconds=delay)
    send_due(now)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", len(delays) + 1)
    assert "500" in delivery.last_error
    assert len(receiver.requests) == 6
    assert sum(delays) / 60 == pytest.approx(59.5)  # six tries over about an hour
    assert len({request.headers["X-Tracehound-Delivery"] for request in receiver.requests}) == 1


def test_a_4xx_is_final_and_its_reason_shown_on_the_channel(webhook, receiver):
    delivery = alert(webhook("/slack-404"))
    send_due()
    delivery.refresh_from_db()
    channel = Channel.objects.get(pk=delivery.channel_id)
    assert delivery.status == "failed" and delivery.attempts == 1
    assert "404" in delivery.last_error and "no_service" in delivery.last_error
    assert channel.last_error == delivery.last_error and channel.last_error_at is not None
    send_due(timezone.now() + timedelta(hours=2))
    assert len(receiver.requests) == 1


def test_a_429_waits_as_long_as_the_receiver_asks(webhook, receiver):
    delivery = alert(webhook("/429"))
    now = timezone.now()
    send_due(now)
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.next_attempt_at == now + timedelta(seconds=7)


def test_a_hanging_channel_delays_no_other(webhook, receiver):
    hanging, fine = alert(webhook("/hang", "slow")), alert(webhook("/ok", "fast"))
    started = time.monotonic()
    send_due()
    elapsed = time.monotonic() - started
    fine.refresh_from_db()
    hanging.refresh_from_db()
    assert fine.status == "sent" and (fine.sent_at - fine.first_attempt_at).total_seconds() < 2
    assert hanging.status == "pending" and "within 10 s" in hanging.last_error
    assert 9 < elapsed < 13  # the hard 10 s limit of the hanging send, not more


def test_a_storm_becomes_one_summary_a_minute(webhook, receiver):
    channel = webhook()
    now = timezone.now()
    for n in range(3):
        alert(channel, f"Error {n}", now)
    send_due(now)
    assert [kind for kind, _ in posted_kinds(receiver)] == ["alert"] * 3  # a few alerts go one by one

    for n in range(20):
        alert(channel, f"Storm {n}", now)
    send_due(now)  # past the limit of 5 a minute: one summary carries them all
    summary = receiver.requests[-1].json()
    assert summary["kind"] == "summary" and summary["total"] == 20 and len(summary["issues"]) == 10
    assert summary["headline"] == "20 new issues in Backend"

    later = now + timedelta(seconds=10)
    for n in range(30):
        alert(channel, f"More {n}", later)
    send_due(later)
    assert len(receiver.requests) == 4  # the next summary waits for the minute to end
    send_due(now + timedelta(seconds=61))
    assert receiver.requests[-1].json()["total"] == 30
    assert [kind for kind, _ in posted_kinds(receiver)] == ["alert"] * 3 + ["summary"] * 2
    carried = Delivery.objects.filter(channel=channel, status="summarized")
    assert carried.count() == 50 and not carried.filter(carried_by=None).exists()


def test_over_the_hourly_cap_alerts_are_held_then_announced_when_the_hour_ends(webhook, receiver, settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "ALERT_HOURLY_CAP": 3, "ALERT_STORM_MESSAGES": 100}
    channel = webhook()
    now = timezone.now().replace(minute=10)
    for n in range(3):
        alert(channel, f"Error {n}", now)
    send_due(now)
    assert len(receiver.requests) == 3  # the hour's three messages
    for n in range(2):
        alert(channel, f"Later {n}", now + timedelta(minutes=1))
    send_due(now + timedelta(minutes=1))
    assert len(receiver.requests) == 3
    held = Delivery.objects.filter(channel=channel, status="held")
    assert held.count() == 2 and not held.exclude(carried_by=None).exists()  # kept, shown on the channel page

    send_due(now + timedelta(minutes=20))
    assert len(receiver.requests) == 3  # still the same hour
    send_due(now + timedelta(hours=1))
    notice = receiver.requests[-1].json()
    assert notice["kind"] == "held_notice" and notice["total"] == 2
    assert held.filter(carried_by__kind="held_notice").count() == 2


def test_a_delivery_whose_sender_died_is_sent_again_with_the_same_id(webhook, receiver):
    delivery = alert(webhook())
    # A sender took it and died mid-send: it stays "sending" until its lease runs out.
    Delivery.objects.filter(pk=delivery.pk).update(
        status="sending",
        attempts=1,
        first_attempt_at=timezone.now(),
        lease_until=timezone.now() + timedelta(seconds=30),
    )
    assert send_due() == 0
    assert send_due(timezone.now() + timedelta(seconds=31)) == 1
    assert posted_kinds(receiver) == [("alert", delivery.id.hex)]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_the_test_message_says_what_happened(webhook, receiver):
    good, gone = webhook("/ok", "good"), webhook("/slack-404", "gone")
    assert send_test_message(good).ok
    result = send_test_message(gone)
    assert not result.ok and "404" in result.detail
    assert [kind for kind, _ in posted_kinds(receiver)] == ["test", "test"]
    assert list(Delivery.objects.filter(kind="test").order_by("created_at").values_list("status", flat=True)) == [
        "sent",
        "failed",
    ]
    # A test message is not an alert: it counts against no limit and is not retried.
    send_due(timezone.now() + timedelta(hours=1))
    assert len(receiver.requests) == 2


def test_the_team_gets_the_email_of_a_new_issue(project, team, smtp_server):
    member = make_user(team, "ada")
    member.email = "ada@shop.example"
    member.save()
    channel = Channel.objects.get(project=project, kind="email")  # the default: the team, on new issues
    alert(channel, "KeyError: 'sku'")
    assert send_due() == 1
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["ada@shop.example"]
    assert b"Subject: [backend] New issue: KeyError: 'sku'" in envelope.content


def test_sends_are_counted_by_channel_kind_and_result(webhook, receiver):
    """The Prometheus counter (this process's; /metrics adds up the processes: tests/e2e/test_metrics.py)."""

    def counted(result: str) -> float:
        return (
            REGISTRY.get_sample_value("tracehound_alert_deliveries_total", {"kind": "webhook", "result": result}) or 0
        )

    before = {result: counted(result) for result in ("sent", "retrying", "failed")}
    alert(webhook("/ok", "good"))
    alert(webhook("/500", "flaky"))
    alert(webhook("/slack-404", "gone"))
    send_due()
    assert {result: counted(result) - before[result] for result in before} == {"sent": 1, "retrying": 1, "failed": 1}
