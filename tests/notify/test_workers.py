"""Notify in real worker processes on the test database: several at once, and one killed in the middle of a send."""

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from issues.models import IssueTransition
from notify.models import Alert, AlertRule, Channel, Delivery, HandledTransition
from notify.sending import send_due
from tests.frontend.factories import make_issue

from ..e2e.conftest import ROOT
from ..issues.test_workers import worker_env
from ..waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
several_at_once = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="several workers at once need PostgreSQL (SQLite has one writer)"
)

ALERT = "import django; django.setup(); from notify.evaluate import handle_transitions; handle_transitions()"
SEND = "import django; django.setup(); from notify.sending import send_due; send_due()"


def start(code: str) -> subprocess.Popen:
    env = {**worker_env(), "TRACEHOUND_ALERT_ALLOWED_NETWORKS": "127.0.0.1/32", "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def run_together(code: str, workers: int) -> None:
    processes = [start(code) for _ in range(workers)]
    for process in processes:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, output


def hooks(project, receiver, count: int, path="/ok") -> AlertRule:
    rule = AlertRule.objects.create(project=project, name="all new issues", triggers=["new_issue"])
    for n in range(count):
        rule.channels.add(
            Channel.objects.create(
                project=project, name=f"hook {n}", kind="webhook", config={"url": receiver.url(path)}
            )
        )
    return rule


@several_at_once
def test_workers_racing_for_the_same_transitions_alert_each_once(project, receiver):
    AlertRule.objects.filter(project=project).delete()  # only the rule below
    rule = hooks(project, receiver, 2)
    issues = [make_issue(project, title=f"Error {n}") for n in range(300)]
    IssueTransition.objects.bulk_create(IssueTransition(project=project, issue=issue, kind="new") for issue in issues)
    run_together(ALERT, workers=4)
    assert HandledTransition.objects.count() == 300
    assert Alert.objects.filter(rule=rule).count() == 300
    assert len(set(Alert.objects.values_list("transition_id", flat=True))) == 300
    assert Delivery.objects.filter(alert__rule=rule).count() == 600


@several_at_once
def test_senders_racing_for_the_same_deliveries_send_each_once(project, receiver):
    AlertRule.objects.filter(project=project).delete()
    rule = hooks(project, receiver, 20)
    issues = [make_issue(project, title=f"Error {n}") for n in range(2)]
    IssueTransition.objects.bulk_create(IssueTransition(project=project, issue=issue, kind="new") for issue in issues)
    run_together(ALERT, workers=1)
    assert Delivery.objects.filter(alert__rule=rule).count() == 40  # two alerts for each of 20 channels
    run_together(SEND, workers=4)
    ids = [request.headers["X-Tracehound-Delivery"] for request in receiver.requests]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_sender_killed_mid_send_is_followed_by_one_that_sends_again_with_the_same_id(project, receiver):
    AlertRule.objects.filter(project=project).delete()
    rule = hooks(project, receiver, 1, path="/hang")
    issue = make_issue(project)
    IssueTransition.objects.create(project=project, issue=issue, kind="new")
    run_together(ALERT, workers=1)
    sender = start(SEND)
    assert wait_for(lambda: receiver.requests, 30), "the sender never reached the receiver"
    os.kill(sender.pid, signal.SIGKILL)
    sender.wait(10)

    delivery = Delivery.objects.get(alert__rule=rule)
    assert delivery.status == "sending"  # the killed sender's lease holds it...
    assert send_due() == 0
    Channel.objects.filter(rules=rule).update(config={"url": receiver.url("/ok")})
    assert send_due(timezone.now() + timedelta(seconds=31)) == 1  # ...until it runs out
    first, second = receiver.requests
    # The receiver may have acted on the first request: the shared id is how it drops the second.
    assert first.headers["X-Tracehound-Delivery"] == second.headers["X-Tracehound-Delivery"] == delivery.id.hex
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
