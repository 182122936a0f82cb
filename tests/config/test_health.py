"""The health checks fail for real: each test makes one condition true (a stale heartbeat, an old pending event, an
overdue delivery, an old spool file, too little disk) and reads the answer of /-/health/ and of `manage.py
healthcheck`. The checks run in threads of their own, which see committed rows only: hence `transactional_db`.
Outages of PostgreSQL and Redis themselves are in tests/e2e/test_health.py."""

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from prometheus_client import REGISTRY

from config import health
from config.checks import check_health_checks
from config.models import Heartbeat
from ingest import spool
from ingest.rows import InboxRow
from issues.models import InboxItem
from notify.models import Channel, Delivery
from tests.config.probe_client import request
from tests.e2e.conftest import free_port
from tests.ingest.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]


def beat(role: str, seconds_ago: float = 0, process: str = "test:1") -> None:
    seen = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    Heartbeat.objects.update_or_create(
        role=role, process=process, defaults={"seen_at": seen}, create_defaults={"seen_at": seen, "started_at": seen}
    )


@pytest.fixture
def checks(settings, transactional_db):
    """Every check runs, whatever the shape; the workers and beat have just written their heartbeats."""
    health_threshold(settings, CHECKS=list(health.CHECKS))
    beat(Heartbeat.Role.DIGEST)
    beat(Heartbeat.Role.BEAT)


def health_threshold(settings, **values) -> None:
    settings.TRACEHOUND = {**settings.TRACEHOUND, "HEALTH": {**settings.TRACEHOUND["HEALTH"], **values}}


def probe() -> tuple[int, dict]:
    status, headers, body = request("/-/health/")
    assert headers["content-type"] == "application/json"
    assert headers["cache-control"] == "no-store"
    return status, json.loads(body)


def healthcheck(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("healthcheck", *args, stdout=out)
    except SystemExit as exit_info:
        return exit_info.code, out.getvalue()
    return 0, out.getvalue()


def test_all_checks_pass_and_the_answer_names_them_only(checks):
    status, payload = probe()
    assert status == 200, payload
    assert payload == {"healthy": True, "checks": dict.fromkeys(health.CHECKS, "ok")}
    assert healthcheck() == (0, "")


def test_alive_answers_ok_and_touches_nothing(settings):
    # No database marker: a query would fail the test (pytest-django blocks database access).
    status, headers, body = request("/-/alive/")
    assert (status, body, headers["content-type"]) == (200, b"ok", "text/plain")
    assert request("/-/alive/", method="HEAD")[2] == b""
    assert request("/-/alive/", method="POST")[0] == 405


def test_a_stale_digest_heartbeat_fails(checks, settings):
    Heartbeat.objects.all().delete()
    beat(Heartbeat.Role.BEAT)
    beat(Heartbeat.Role.DIGEST, seconds_ago=90)
    status, payload = probe()
    assert (status, payload) == (503, {"healthy": False, "errors": ["digest_workers"]})
    code, out = healthcheck()
    assert code == 1
    assert re.fullmatch(r"digest_workers: FAIL last digest heartbeat 9\d s ago \(limit 60 s\)\n", out), out
    beat(Heartbeat.Role.DIGEST, process="test:2")  # a second worker, alive: enough
    assert probe()[0] == 200


def test_a_silent_beat_fails(checks):
    Heartbeat.objects.filter(role=Heartbeat.Role.BEAT).delete()
    assert probe() == (503, {"healthy": False, "errors": ["beat"]})


def test_an_old_pending_event_fails_the_backlog_check(checks, project):
    row = InboxItem.objects.create(project=project, event_id=uuid.uuid4(), payload=b"{}")
    assert probe()[0] == 200
    InboxItem.objects.filter(id=row.id).update(received_at=datetime.now(UTC) - timedelta(seconds=301))
    assert probe() == (503, {"healthy": False, "errors": ["digest_backlog"]})
    # Set aside, it no longer holds the backlog up (status counts it instead).
    InboxItem.objects.filter(id=row.id).update(set_aside=True)
    assert probe()[0] == 200


def test_a_delivery_due_long_ago_fails(checks, project):
    channel = Channel.objects.create(project=project, name="hook", kind="webhook", config={"url": "https://x.test/"})
    due = Delivery.objects.create(channel=channel, kind=Delivery.Kind.TEST)
    assert probe()[0] == 200
    Delivery.objects.filter(id=due.id).update(next_attempt_at=datetime.now(UTC) - timedelta(seconds=901))
    assert probe() == (503, {"healthy": False, "errors": ["alert_delivery"]})
    code, out = healthcheck("--check", "alert_delivery")
    assert (code, out) == (1, "alert_delivery: FAIL 1 deliveries overdue by more than 900 s\n")
    Delivery.objects.filter(id=due.id).update(status=Delivery.Status.SENT)
    assert probe()[0] == 200


def test_a_spool_that_does_not_drain_fails(checks, project):
    row = InboxRow(project.id, InboxItem.ItemType.EVENT, uuid.uuid4(), datetime.now(UTC), b"{}")
    spooled_before = REGISTRY.get_sample_value("tracehound_ingest_spooled_events_total")
    assert spool.spool_rows([row])
    assert REGISTRY.get_sample_value("tracehound_ingest_spooled_events_total") == spooled_before + 1  # the metric
    assert probe()[0] == 200  # a fresh file: being replayed
    assert health.run_checks(["spool"])["spool"]["detail"].startswith("1 files draining")
    (path,) = spool.spooled_files()
    old = time.time() - 301
    os.utime(path, (old, old))
    assert probe() == (503, {"healthy": False, "errors": ["spool"]})
    path.unlink()


def test_too_little_free_disk_fails(checks, settings):
    health_threshold(settings, MIN_FREE_DISK_MB=10**9)
    assert probe() == (503, {"healthy": False, "errors": ["disk"]})


def test_a_check_that_hangs_fails_at_the_deadline_and_is_not_started_twice(checks, settings, monkeypatch):
    """The deadline itself, with a check that never returns (the real hanging services: tests/e2e)."""
    health_threshold(settings, TIMEOUT_SECONDS=0.5)
    release = threading.Event()
    started = []

    def hangs():
        started.append(1)
        release.wait(30)
        return "late"

    monkeypatch.setitem(health.CHECKS, "cache", hangs)
    try:
        began = time.monotonic()
        assert probe() == (503, {"healthy": False, "errors": ["cache"]})
        assert time.monotonic() - began < 1.5
        time.sleep(0.1)
        assert health.run_checks(["cache"]) == {
            "cache": {"ok": False, "detail": "an earlier probe is still waiting for an answer"}
        }
        assert len(started) == 1
    finally:
        release.set()
        health._probes["cache"].thread.join(5)


def test_probes_at_the_same_time_share_one_run_of_a_check(checks, monkeypatch):
    runs = []

    def slow():
        runs.append(1)
        time.sleep(0.3)
        return "fine"

    monkeypatch.setitem(health.CHECKS, "disk", slow)
    answers = []
    callers = [threading.Thread(target=lambda: answers.append(health.run_checks(["disk"]))) for _ in range(3)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert answers == [{"disk": {"ok": True, "detail": "fine"}}] * 3
    assert len(runs) == 1


def test_the_probes_answer_any_host(checks, settings):
    """Load balancers and container probes address the server by its IP (plain HTTP with HTTPS on: tests/e2e)."""
    settings.ALLOWED_HOSTS = ["errors.example.com"]
    assert request("/accounts/login/", host="10.0.0.1:8000")[0] == 400  # other paths still check the host
    for host in ("10.0.0.1:8000", "evil.example", ""):
        assert request("/-/alive/", host=host)[:3:2] == (200, b"ok")
        status, _, body = request("/-/health/", host=host)
        assert (status, json.loads(body)["healthy"]) == (200, True)


def test_the_answer_reveals_no_detail(checks, settings, project):
    """Failing or not, anonymous callers get check names and pass or fail: no paths, versions or addresses."""
    health_threshold(settings, MIN_FREE_DISK_MB=10**9)
    spool_dir = str(spool.spool_dir())
    status, _, body = request("/-/health/", host="evil.example")
    assert status == 503
    assert json.loads(body) == {"healthy": False, "errors": ["disk"]}
    for secret in (spool_dir, str(settings.TRACEHOUND["DATA_DIR"]), connection.vendor, "MB"):
        assert secret.encode() not in body


def test_the_healthcheck_command_names_unknown_checks(db):
    with pytest.raises(Exception, match="unknown check: nope"):
        call_command("healthcheck", "--check", "nope")


def test_an_unapplied_migration_fails(tmp_path):
    """A throw-away SQLite database migrated to all but the last migration of `issues`, checked by the command
    a container runs."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}",
        "TRACEHOUND_MODE": "embedded",
        "TRACEHOUND_DATA_DIR": str(tmp_path),
    }
    env.pop("REDIS_URL", None)
    last = sorted(p.stem for p in (ROOT / "issues" / "migrations").glob("0*.py"))[-1]
    previous = sorted(p.stem for p in (ROOT / "issues" / "migrations").glob("0*.py"))[-2]
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    subprocess.run([*manage, "migrate", "issues", previous, "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    result = subprocess.run(
        [*manage, "healthcheck", "--check", "migrations", "--check", "database"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stdout == f"migrations: FAIL 1 not applied: issues.{last}\n"
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    result = subprocess.run([*manage, "healthcheck", "--check", "migrations"], cwd=ROOT, env=env, capture_output=True)
    assert (result.returncode, result.stdout) == (0, b"")


def test_an_unknown_check_in_the_settings_stops_commands(settings):
    health_threshold(settings, CHECKS=["database", "nope"])
    (error,) = check_health_checks(None)
    assert (error.id, error.msg) == ("tracehound.E002", "TRACEHOUND_HEALTH_CHECKS names unknown checks: nope")


@pytest.mark.parametrize("outage", ["refused", "hangs"])
def test_a_redis_cache_that_is_gone_or_hangs_fails_in_time(checks, settings, outage):
    """The cache check against a Redis address that refuses connections, or a relay that accepts and never answers
    (no Redis server needed for either; the real server process with Redis through a relay: tests/e2e)."""
    relay = TcpProxy("127.0.0.1", 9)  # upstream never reached: the relay hangs from the start
    relay.hang()
    relay.open()
    port = relay.port if outage == "hangs" else free_port()
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0"}
    }
    health_threshold(settings, TIMEOUT_SECONDS=1.0)
    try:
        began = time.monotonic()
        status, payload = probe()
        assert (status, payload) == (503, {"healthy": False, "errors": ["cache"]})
        assert time.monotonic() - began < 2
        detail = health.run_checks(["cache"])["cache"]["detail"] if outage == "refused" else None
        assert detail is None or detail.startswith("ConnectionError")
    finally:
        relay.cut()  # the hanging read ends: later tests' probes start afresh
        health._probes["cache"].thread.join(5)
