"""Alerts in the running service: an event sent with the real sentry-sdk becomes one message at a fake Slack,
sent by notify's thread (embedded) or by a Celery worker (production)."""

import subprocess
import sys
import time

import pytest

from notify.models import AlertRule, Channel, Delivery
from tests.notify.conftest import Receiver

from ..waiting import wait_for

SENDER = """
import sys
import sentry_sdk

sentry_sdk.init(dsn=sys.argv[1], release="shop@4.0.0", environment="production")


def checkout(cart):
    return cart["total"] / len(cart["items"])


try:
    checkout({"total": 10, "items": []})
except ZeroDivisionError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(timeout=10)
"""


@pytest.fixture
def server_environment():
    return {"TRACEHOUND_ALERT_ALLOWED_NETWORKS": "127.0.0.1/32"}


@pytest.fixture
def slack():
    server = Receiver()
    yield server
    server.close()


def test_a_new_issue_reaches_slack_once_within_seconds(tracehound_server, project, project_key, slack):
    channel = Channel.objects.create(project=project, name="#alerts", kind="slack", config={"url": slack.url("/slack")})
    rule = AlertRule.objects.create(project=project, name="new issues to Slack", triggers=["new_issue"])
    rule.channels.add(channel)

    subprocess.run([sys.executable, "-c", SENDER, tracehound_server.dsn(project_key)], check=True, timeout=60)
    accepted = time.monotonic()  # the SDK's flush returned: ingest answered 200
    assert wait_for(lambda: slack.requests, 15), "no message reached the fake Slack"
    latency = time.monotonic() - accepted
    time.sleep(2)  # anything sent twice would arrive by now
    [request] = slack.requests
    body = request.json()
    assert "ZeroDivisionError: division by zero" in body["text"]
    assert "production" in str(body["blocks"]) and "shop@4.0.0" in str(body["blocks"])
    assert Delivery.objects.get(channel=channel).status == "sent"
    assert latency < 10, f"{latency:.1f} s from the event's 200 to the message"
