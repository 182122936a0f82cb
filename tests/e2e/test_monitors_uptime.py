"""Uptime checks run by a real server process (embedded: its thread) or by the Celery worker and beat (production),
against a real local site, and their failure digested into an incident."""

import pytest

from issues.models import Issue
from monitors.models import UptimeCheck, UptimeResult
from tests.e2e.test_monitors_sdk import wait_for
from tests.monitors.servers import Site


@pytest.fixture
def server_environment():
    return {"TRACEHOUND_MONITOR_ALLOWED_NETWORKS": "127.0.0.1/32"}


@pytest.fixture
def site():
    server = Site()
    yield server
    server.close()


def test_a_due_check_runs_and_its_failure_becomes_an_issue(tracehound_server, project, site):
    healthy = UptimeCheck.objects.create(
        project=project, name="Health", url=site.url("/health"), keyword="status: ok", keyword_mode="present"
    )
    degraded = UptimeCheck.objects.create(
        project=project, name="Degraded", url=site.url("/degraded"), keyword="status: ok", keyword_mode="present"
    )
    assert wait_for(lambda: UptimeResult.objects.count() >= 2, timeout=30), tracehound_server.log()
    assert UptimeResult.objects.get(uptime_check=healthy).ok
    failed = UptimeResult.objects.get(uptime_check=degraded)
    assert (failed.ok, failed.status_code, failed.reason) == (False, 200, "keyword 'status: ok' missing")
    issue = wait_for(lambda: Issue.objects.filter(project=project).first(), timeout=30)
    assert issue is not None and issue.title == f"{site.url('/degraded')} keyword 'status: ok' missing"
