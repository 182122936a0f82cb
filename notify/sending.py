"""Sending alerts. `send_test_message(channel, actor)` sends one test message at once and records it as a
Delivery of kind "test". This first version has no transports: it records the attempt and says so."""

from django.utils import timezone

from notify.models import Delivery
from notify.transports import SendResult


def send_test_message(channel, actor) -> SendResult:
    result = SendResult(ok=False, detail="not sent: this version of Tracehound has no transports yet")
    Delivery.objects.create(
        channel=channel,
        kind=Delivery.Kind.TEST,
        status=Delivery.Status.FAILED,
        attempts=1,
        last_error=result.detail,
    )
    channel.last_error, channel.last_error_at = result.detail, timezone.now()
    channel.save(update_fields=["last_error", "last_error_at"])
    return result
