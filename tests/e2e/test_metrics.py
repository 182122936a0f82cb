"""/metrics adds up what several real processes counted: two server processes sharing the data folder (as compose's
volume makes them) and, in the production shape, a Celery worker digesting."""

import json
import time
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import start_server, start_worker, stop_process, stop_server

TOKEN = "metrics-token-for-tests"
ALLOWED_LABELS = {"outcome", "project", "result", "kind", "role", "le"}


def scrape(server) -> dict[tuple[str, tuple], float]:
    request = Request(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urlopen(request, timeout=10) as response:
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            assert set(sample.labels) <= ALLOWED_LABELS, sample  # bounded: never an issue or event id
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def send_event(server, project_key, body: bytes) -> int:
    url = f"{server.url}/api/{project_key.project_id}/store/?sentry_key={project_key.public_key}"
    try:
        with urlopen(Request(url, data=body, method="POST"), timeout=10) as response:
            return response.status
    except HTTPError as error:
        return error.code


def test_two_server_processes_and_a_worker_add_up(transactional_db, tmp_path, project_key):
    environment = {"TRACEHOUND_METRICS_TOKEN": TOKEN, "WEB_CONCURRENCY": "1"}
    first = start_server(tmp_path, environment)
    second = start_server(tmp_path, environment)  # the same data folder: tmp_path/server-data
    worker = None if settings.CELERY_TASK_ALWAYS_EAGER else start_worker(tmp_path, first.env)
    try:
        statuses = [send_event(first, project_key, json.dumps({"message": f"one {n}"}).encode()) for n in range(7)]
        statuses += [send_event(second, project_key, json.dumps({"message": f"two {n}"}).encode()) for n in range(5)]
        statuses.append(send_event(second, project_key, b"[1, 2]"))
        assert statuses == [200] * 12 + [400]

        project = str(project_key.project_id)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            samples = scrape(first)
            if samples.get(("tracehound_digest_events_total", (("result", "stored"),))) == 12:
                break
            time.sleep(0.5)
        assert samples[("tracehound_ingest_requests_total", (("outcome", "accepted"),))] == 12
        assert samples[("tracehound_ingest_requests_total", (("outcome", "invalid"),))] == 1
        assert samples[("tracehound_ingest_events_total", (("outcome", "accepted"), ("project", project)))] == 12
        assert samples[("tracehound_ingest_request_duration_seconds_count", ())] == 13
        assert samples[("tracehound_digest_events_total", (("result", "stored"),))] == 12
        assert samples[("tracehound_issues_created_total", ())] == 2  # "one <n>" and "two <n>": two message templates
        assert samples[("tracehound_metrics_database_up", ())] == 1
        assert samples[("tracehound_heartbeat_age_seconds", (("role", "digest"),))] < 60
        # Both processes answer the same sums.
        assert scrape(second)[("tracehound_ingest_requests_total", (("outcome", "accepted"),))] == 12
    finally:
        stop_server(first)
        stop_server(second)
        if worker is not None:
            stop_process(worker[0])
