"""Digest in the running service: embedded (thread in daphne) or production (Celery worker + beat)."""

import subprocess
import sys
import time

from issues import handoff
from issues.models import Issue

from ..issues.conftest import add_to_inbox, exception_event
from ..waiting import wait_for


def test_an_event_committed_to_the_inbox_becomes_an_issue_within_seconds(tracehound_server, project):
    add_to_inbox(project, exception_event(type_="E2EError", value="from the inbox"))
    started = time.monotonic()
    handoff.events_accepted(project.id)  # what ingest calls after its commit (reaches the worker in production)
    issue = wait_for(lambda: Issue.objects.filter(project=project, title="E2EError: from the inbox").first(), 5)
    assert issue is not None, "no issue within 5 s"
    assert time.monotonic() - started < 3
    assert issue.times_seen == 1


SENDER = """
import sys
import sentry_sdk
from tests.waiting import wait_for

sentry_sdk.init(dsn=sys.argv[1], release="shop@3.0.0")


def charge(order_id):
    raise ValueError(f"order {order_id} cannot be charged")


for order_id in (1, 2):
    try:
        charge(order_id)
    except ValueError:
        sentry_sdk.capture_exception()
sentry_sdk.capture_message("Inventory sync finished with 3 warnings")
sentry_sdk.flush(timeout=10)
"""


def test_real_sdk_events_through_ingest_are_grouped_into_issues(tracehound_server, project, project_key):
    subprocess.run([sys.executable, "-c", SENDER, tracehound_server.dsn(project_key)], check=True, timeout=30)

    def digested():
        issues = {issue.title: issue for issue in Issue.objects.filter(project=project)}
        return issues if sum(issue.times_seen for issue in issues.values()) == 3 else None

    issues = wait_for(digested, 10)
    assert issues, f"not all 3 events became issues: {list(Issue.objects.values_list('title', 'times_seen'))}"
    assert sorted((title, issue.times_seen) for title, issue in issues.items()) == [
        ("Inventory sync finished with 3 warnings", 1),
        ("ValueError: order 1 cannot be charged", 2),  # one problem for both orders; titled by its first event
    ]
    charge = issues["ValueError: order 1 cannot be charged"]
    assert (charge.culprit, charge.last_release) == ("__main__ in charge", "shop@3.0.0")
    assert charge.events.count() == 2
