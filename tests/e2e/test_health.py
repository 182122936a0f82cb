"""/-/health/ of a real server process: answered for any Host and over plain HTTP with HTTPS on, and within 2 s
when PostgreSQL or Redis hangs (a relay that passes nothing on) or is cut (a relay that drops its connections)."""

import http.client
import json
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
from django.db import connection

from config.models import Heartbeat
from tests.e2e.conftest import ROOT, start_server, stop_server
from tests.ingest.tcp_proxy import TcpProxy


def get(server, path: str, host: str) -> tuple[int, dict, bytes, float]:
    """(status, headers, body, seconds) of one GET with this Host header; redirects are not followed."""
    parts = urlsplit(server.url)
    began = time.monotonic()
    client = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        client.request("GET", path, headers={"Host": host})
        response = client.getresponse()
        body = response.read()
    finally:
        client.close()
    return response.status, dict(response.getheaders()), body, time.monotonic() - began


def health(server, host: str = "127.0.0.1") -> tuple[int, dict, float]:
    status, _, body, seconds = get(server, "/-/health/", host)
    return status, json.loads(body), seconds


def test_probes_answer_a_foreign_host_over_plain_http_with_https_on(transactional_db, tmp_path):
    server = start_server(
        tmp_path,
        {
            "TRACEHOUND_URL": "https://errors.example.com",
            "ALLOWED_HOSTS": "errors.example.com",
            "TRACEHOUND_HEALTH_CHECKS": "database,migrations,spool,disk",
        },
        ready_path="/-/alive/",
    )
    try:
        # Any other path: a foreign host is refused, plain HTTP is redirected to HTTPS.
        assert get(server, "/accounts/login/", "10.1.2.3")[0] == 400
        status, headers, _, _ = get(server, "/accounts/login/", "errors.example.com")
        assert (status, headers["location"]) == (301, "https://errors.example.com/accounts/login/")
        for host in ("10.1.2.3:8000", "errors.example.com", "localhost"):
            status, headers, body, _ = get(server, "/-/alive/", host)
            assert (status, body) == (200, b"ok")
            assert "strict-transport-security" not in {name.lower() for name in headers}
            status, payload, _ = health(server, host)
            assert (status, payload) == (200, {"healthy": True, "checks": dict.fromkeys(
                ["database", "migrations", "spool", "disk"], "ok")})  # fmt: skip
    finally:
        stop_server(server)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="PostgreSQL and Redis outages: the production shape")
def test_health_answers_within_2_s_when_postgresql_or_redis_hangs_or_is_cut(transactional_db, tmp_path):
    db = connection.settings_dict
    database = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    redis_parts = urlsplit(os.environ["REDIS_URL"])
    redis = TcpProxy(redis_parts.hostname, redis_parts.port or 6379)
    database.open()
    redis.open()
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    server = start_server(
        tmp_path,
        {
            "DATABASE_URL": f"postgres://{auth}@127.0.0.1:{database.port}/{db['NAME']}",
            "REDIS_URL": f"redis://127.0.0.1:{redis.port}{redis_parts.path}",
            "TRACEHOUND_HEALTH_CHECKS": "database,cache,channel_layer,broker",
            "WEB_CONCURRENCY": "1",  # every probe to the one process whose hanging checks the test follows
        },
    )
    try:
        assert health(server)[:2] == (200, {"healthy": True, "checks": dict.fromkeys(
            ["database", "cache", "channel_layer", "broker"], "ok")})  # fmt: skip

        database.cut()
        status, payload, seconds = health(server)
        assert (status, payload) == (503, {"healthy": False, "errors": ["database"]})
        assert seconds < 2
        assert get(server, "/-/alive/", "127.0.0.1")[:3:2] == (200, b"ok")  # the process itself is fine

        database.open()
        assert health(server)[0] == 200

        database.hang()
        for _ in range(2):  # the first probe's check still hangs during the second
            status, payload, seconds = health(server)
            assert (status, payload) == (503, {"healthy": False, "errors": ["database"]})
            assert seconds < 2
        database.resume()

        redis.hang()
        status, payload, seconds = health(server)
        assert status == 503
        assert {"cache", "channel_layer", "broker"} <= set(payload["errors"])
        assert seconds < 2

        redis.cut()
        status, payload, seconds = health(server)
        assert status == 503 and {"cache", "channel_layer", "broker"} <= set(payload["errors"])
        assert seconds < 2
    finally:
        stop_server(server)
        database.cut()
        redis.cut()


def test_workers_and_beat_write_heartbeats(tracehound_server, settings):
    """The embedded shape's digest and notify threads, or a real Celery worker and beat, keep the checks green."""
    expected = {"digest", "notify"} | (set() if settings.CELERY_TASK_ALWAYS_EAGER else {"beat"})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        roles = set(Heartbeat.objects.values_list("role", flat=True))
        if roles >= expected:
            break
        time.sleep(0.5)
    assert roles >= expected
    status, payload, _ = health(tracehound_server)
    assert status == 200, payload
    assert payload["checks"]["digest_workers"] == "ok"
    assert ("beat" in payload["checks"]) is not settings.CELERY_TASK_ALWAYS_EAGER


@pytest.mark.skipif(connection.vendor == "sqlite", reason="a PostgreSQL that hangs: the production shape")
def test_the_healthcheck_command_exits_in_time_when_postgresql_hangs(transactional_db):
    """The command compose runs: a hanging database makes it print the check and exit 1, not hang with it."""
    db = connection.settings_dict
    relay = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    relay.hang()
    relay.open()
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    env = {**os.environ, "DATABASE_URL": f"postgres://{auth}@127.0.0.1:{relay.port}/{db['NAME']}"}
    try:
        began = time.monotonic()
        result = subprocess.run(
            [sys.executable, "manage.py", "healthcheck", "--check", "database", "--check", "disk"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert (result.returncode, result.stdout) == (1, "database: FAIL no answer within 1.5 s\n"), result.stderr
        assert time.monotonic() - began < 5  # the interpreter's start included
    finally:
        relay.cut()
