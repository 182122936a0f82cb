"""Generic webhooks: a documented JSON body (docs/webhooks.md), signed with the channel's secret.

Headers: `X-Tracehound-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the channel's
signing_secret>`, `X-Tracehound-Delivery: <delivery id>` (the same on every retry of one message, so receivers
drop what they already have), `Content-Type: application/json`, and a User-Agent naming Tracehound.
Event text goes into JSON strings as it is: escaping for wherever the receiver shows it is the receiver's job.
"""

import hashlib
import hmac
from datetime import UTC, datetime

from notify.messages import IssueSummary, Message
from notify.transports import SendResult
from notify.transports.http_post import encode_json, post_json
from notify.transports.text import one_line

BODY_VERSION = 1
SIGNATURE_HEADER = "X-Tracehound-Signature"
DELIVERY_HEADER = "X-Tracehound-Delivery"

HINTS = {
    401: "(the receiver wants other credentials: check the URL, or how it verifies the signature)",
    403: "(the receiver refused it: check how it verifies the signature and that it has this channel's secret)",
    404: "(is the URL right?)",
    405: "(the URL does not take POST requests)",
    410: "(the receiver says this endpoint is gone)",
    413: "(the body is larger than the receiver takes)",
    415: "(the receiver does not take JSON)",
}


def sign(body: bytes, secret: str) -> str:
    """The X-Tracehound-Signature value for `body`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _issue(issue: IssueSummary) -> dict:
    return {
        "id": issue.issue_id,
        "short_id": issue.short_id,
        "title": issue.title,
        "culprit": issue.culprit,
        "level": issue.level,
        "environment": issue.environment,
        "release": issue.release,
        "times_seen": issue.times_seen,
        "users_seen": issue.users_seen,
        "url": issue.url,
    }


def build_payload(message: Message, sent_at: datetime | None = None) -> dict:
    """The body, as documented in docs/webhooks.md (change both together; add fields, never repurpose them)."""
    sent_at = sent_at or datetime.now(UTC)
    return {
        "version": BODY_VERSION,
        "kind": message.kind,
        "delivery_id": message.delivery_id,
        "sent_at": sent_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "project": {"name": message.project_name, "slug": message.project_slug},
        "headline": message.headline,
        "url": message.issue.url if message.issue is not None else message.list_url,
        "issue": _issue(message.issue) if message.issue is not None else None,
        "issues": [_issue(issue) for issue in message.issues],
        "total": message.total,
    }


def build_request(channel, message: Message, sent_at: datetime | None = None) -> tuple[bytes, dict[str, str]]:
    """The exact body bytes and the headers that sign and identify them."""
    body = encode_json(build_payload(message, sent_at))
    headers = {SIGNATURE_HEADER: sign(body, channel.signing_secret), DELIVERY_HEADER: one_line(message.delivery_id)}
    return body, headers


def explain(status: int, said: str) -> str:
    return HINTS.get(status, "")


class WebhookTransport:
    def send(self, channel, message: Message) -> SendResult:
        body, headers = build_request(channel, message)
        return post_json(channel.config.get("url", ""), body, headers, explain=explain)
