"""Digest in the running service: embedded (thread in daphne) or production (Celery worker + beat)."""

import time

from issues import handoff
from issues.models import Issue

from ..issues.conftest import add_to_inbox, exception_event


def wait_for(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


def test_an_event_committed_to_the_inbox_becomes_an_issue_within_seconds(tracehound_server, project):
    add_to_inbox(project, exception_event(type_="E2EError", value="from the inbox"))
    started = time.monotonic()
    handoff.events_accepted(project.id)  # what ingest calls after its commit (reaches the worker in production)
    issue = wait_for(lambda: Issue.objects.filter(project=project, title="E2EError: from the inbox").first(), 5)
    assert issue is not None, "no issue within 5 s"
    assert time.monotonic() - started < 3
    assert issue.times_seen == 1
