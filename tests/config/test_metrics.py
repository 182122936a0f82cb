"""/metrics: off without a token, then only with it; what the UI middleware and the scrape-time gauges report."""

import json
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from config.checks import check_metrics_are_shared
from config.models import Heartbeat
from issues.models import InboxItem
from monitors.models import UptimeCheck
from tests.config.probe_client import request

TOKEN = "s3cret-metrics-token"
ROOT = Path(__file__).resolve().parents[2]


def scrape_with(token: str | None, host: str = "10.0.0.1"):
    return request("/metrics", host=host, headers={"authorization": f"Bearer {token}"} if token else {})


def samples(body: bytes) -> dict:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def test_metrics_are_off_without_a_token(settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "METRICS_TOKEN": ""}
    assert scrape_with(None)[0] == 404
    assert scrape_with("anything")[0] == 404


@pytest.fixture
def token(settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "METRICS_TOKEN": TOKEN}


def test_a_token_is_required(token):
    status, headers, _ = scrape_with(None)
    assert (status, headers["www-authenticate"]) == (401, 'Bearer realm="metrics"')
    assert scrape_with("wrong")[0] == 401
    assert scrape_with(TOKEN[:-1])[0] == 401
    assert request("/metrics", headers={"authorization": f"Basic {TOKEN}"})[0] == 401


def test_scrape_reads_the_backlog_and_times_ui_requests(token, transactional_db, project, client):
    InboxItem.objects.create(
        project=project, event_id=uuid.uuid4(), payload=b"{}", received_at=datetime.now(UTC) - timedelta(seconds=40)
    )
    InboxItem.objects.create(project=project, event_id=uuid.uuid4(), payload=b"{}", set_aside=True)
    UptimeCheck.objects.create(project=project, name="Shop", url="https://shop.example.com/", state="down")
    before = samples(scrape_with(TOKEN)[2]).get(("tracehound_ui_request_duration_seconds_count", (("kind", "page"),)))
    assert request("/accounts/login/", host="localhost")[0] == 200
    status, headers, body = scrape_with(TOKEN)
    assert (status, headers["content-type"]) == (200, "text/plain; version=0.0.4; charset=utf-8")
    found = samples(body)
    assert found[("tracehound_inbox_pending_events", (("project", str(project.id)),))] == 1
    assert found[("tracehound_inbox_set_aside_events", (("project", str(project.id)),))] == 1
    assert 40 <= found[("tracehound_inbox_oldest_pending_seconds", ())] < 100
    assert found[("tracehound_monitors", (("project", str(project.id)), ("state", "down")))] == 1
    assert found[("tracehound_ui_request_duration_seconds_count", (("kind", "page"),))] == (before or 0) + 1


def test_the_grafana_dashboard_uses_metrics_that_exist(token, transactional_db, project):
    InboxItem.objects.create(project=project, event_id=uuid.uuid4(), payload=b"{}")  # per-project gauges appear
    now = datetime.now(UTC)
    Heartbeat.objects.create(role=Heartbeat.Role.DIGEST, process="web-1:1", seen_at=now, started_at=now)
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"tracehound_[a-z_]+", target["expr"])
    }
    exposed = {sample_name for sample_name, _ in samples(scrape_with(TOKEN)[2])}
    # Counters and histograms appear in a scrape once counted; their names are known to the registry before.
    known = exposed | {
        name for metric in REGISTRY.collect() for name in [metric.name + "_total", metric.name + "_bucket"]
    }
    assert used and used <= known, used - known


def test_metrics_counted_in_one_process_only_are_flagged(settings):
    settings.METRICS_PROCESS, settings.PROMETHEUS_MULTIPROCESS = True, False
    (warning,) = check_metrics_are_shared(None)
    assert warning.id == "tracehound.W002"
    settings.PROMETHEUS_MULTIPROCESS = True
    assert check_metrics_are_shared(None) == []


def test_management_commands_leave_no_metrics_files(tmp_path):
    """compose runs `manage.py healthcheck` every 30 s per container: a file per run would pile up for each scrape
    to read. Only the server and Celery's processes count into files (tests/e2e/test_metrics.py)."""
    env = {**os.environ, "TRACEHOUND_DATA_DIR": str(tmp_path), "TRACEHOUND_METRICS_TOKEN": TOKEN}
    subprocess.run(
        [sys.executable, "manage.py", "healthcheck", "--check", "disk"], cwd=ROOT, env=env, check=True, timeout=60
    )
    assert not list(tmp_path.glob("metrics/*/*.db"))
