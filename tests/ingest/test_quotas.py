"""Quotas: per project and per key, per minute and per hour; 429 with the headers Sentry SDKs obey, decided
before the body is read; other projects unaffected."""

import time

import pytest

from ingest.inbox import writer
from projects.models import IngestOutcome
from projects.services import create_project
from tests.ingest.client import auth, call, event_envelope

pytestmark = pytest.mark.usefixtures("committed")

BODY = event_envelope({"message": "counted"})


@pytest.fixture(autouse=True)
def _not_at_the_end_of_a_minute():
    # A minute window that rolls over mid-test would reset the counts being tested.
    if time.time() % 60 > 55:
        time.sleep(60 - time.time() % 60)


def send(project_key, body=BODY):
    return call(f"/api/{project_key.project_id}/envelope/", body, auth(project_key))


def test_a_project_over_its_minute_quota_gets_429_before_its_body_is_read(team, project_and_key):
    project, key = project_and_key
    project.events_per_minute = 2
    project.save()
    _, other_key = create_project(team, "Other")
    assert [send(key).status for _ in range(2)] == [200, 200]
    limited = send(key, [b"{}\n", b"never", b"read"])
    assert limited.status == 429
    assert limited.body_reads == 0
    retry_after = int(limited.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert limited.headers["x-sentry-rate-limits"] == f"{retry_after}:error;default:project:quota"
    assert send(other_key).status == 200  # other projects are unaffected
    writer.stop()  # flushes the outcome counts
    assert IngestOutcome.objects.get(project=project, outcome="rate_limited").count == 1


def test_the_hour_quota_and_the_service_default_apply_too(settings, project_and_key):
    project, key = project_and_key
    project.events_per_hour = 1
    project.save()
    assert send(key).status == 200
    limited = send(key)
    assert limited.status == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 3600

    settings.TRACEHOUND = {
        **settings.TRACEHOUND,
        "QUOTAS": {**settings.TRACEHOUND["QUOTAS"], "KEY_EVENTS_PER_MINUTE": 1},
    }
    project.events_per_hour = None
    project.save()
    other = key.project.keys.create(label="second")
    assert send(other).status == 200
    assert send(other).headers["x-sentry-rate-limits"].endswith(":error;default:key:quota")


def test_a_key_quota_limits_that_key_only(project_and_key):
    project, key = project_and_key
    key.events_per_minute = 1
    key.save()
    second = project.keys.create(label="second")
    assert send(key).status == 200
    assert send(key).status == 429
    assert [send(second).status for _ in range(3)] == [200, 200, 200]


def test_counts_are_shared_through_the_cache(project_and_key):
    from ingest.quotas import gate

    project, key = project_and_key
    project.events_per_minute = 3
    project.save()
    assert send(key).status == 200
    gate.sync()  # this process's count goes to the cache ...
    gate.reset()  # ... and a process that never saw that request (a fresh view) ...
    assert send(key).status == 200
    gate.sync()  # ... learns the shared total (2) on its first sync
    assert [send(key).status for _ in range(2)] == [200, 429]
