"""Messages and channels for the transport tests."""

import time
import uuid

from notify.messages import IssueSummary, Message
from notify.models import Channel

BASE = "http://localhost:8000"

# Event text written to do harm in each medium: mentions and forged links in Slack and Discord, markdown, HTML,
# and a line break that would add an email header.
HOSTILE = (
    "<!channel> <!here> <@U024BE7LH> <https://evil.example/login|Open the issue> & @everyone @here <@123> <@&456> "
    "[Open the issue](https://evil.example/x) *bold* _italic_ ~strike~ ||spoiler|| > quote `code` ```block``` "
    '# heading <script>alert("x")</script> <img src="https://evil.example/pixel.png">'
)
INJECTION = "ZeroDivisionError\r\nBcc: x@evil.example\r\nX-Injected: yes"


def issue_summary(**overrides) -> IssueSummary:
    values = {
        "title": "ZeroDivisionError: division by zero",
        "culprit": "shop.views.checkout",
        "short_id": "SHOP-BACKEND-42",
        "level": "error",
        "url": f"{BASE}/issues/42/",
        "times_seen": 1234,
        "users_seen": 56,
        "environment": "production",
        "release": "shop@1.2.3",
        "issue_id": 42,
    }
    return IssueSummary(**{**values, **overrides})


def message(**overrides) -> Message:
    values = {
        "kind": "alert",
        "delivery_id": str(uuid.uuid4()),
        "project_name": "Shop backend",
        "project_slug": "shop-backend",
        "headline": "New issue",
        "issue": issue_summary(),
    }
    return Message(**{**values, **overrides})


def summary(count: int, total: int | None = None, **overrides) -> Message:
    issues = [
        issue_summary(title=f"Error number {n}", short_id=f"SHOP-{n}", url=f"{BASE}/issues/{n}/", issue_id=n)
        for n in range(1, count + 1)
    ]
    values = {
        "kind": "summary",
        "headline": f"{total or count} alerts in the last minute",
        "issue": None,
        "issues": issues,
        "total": total or count,
        "list_url": f"{BASE}/projects/shop-backend/issues/",
    }
    return message(**{**values, **overrides})


def channel(kind: str, **config) -> Channel:
    """An unsaved channel: the HTTP transports read only its kind, config and secret."""
    return Channel(name=f"{kind} channel", kind=kind, config=config, signing_secret="s3cret-for-tests")


def timed(function, *args):
    """(function's result, seconds it took)."""
    started = time.monotonic()
    result = function(*args)
    return result, time.monotonic() - started
