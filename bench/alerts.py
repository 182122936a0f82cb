"""Alerts, measured in the running service: latency from an event's 200 to the message at a fake Slack, and what an
alert storm or a bad channel costs digest.

    # production shape (a scratch PostgreSQL database and Redis):
    DATABASE_URL=postgres://postgres@127.0.0.1/th_alerts REDIS_URL=redis://127.0.0.1:6379/3 SECRET_KEY=... \
        .venv/bin/python bench/alerts.py latency [--load 30000]
    DATABASE_URL=... .venv/bin/python bench/alerts.py storm --channel none ok hang 500 [--events 10000]
    # embedded shape (SQLite, the web process digests and sends):
    DATABASE_URL=sqlite:////tmp/th_alerts.sqlite3 TRACEHOUND_MODE=embedded SECRET_KEY=... \
        .venv/bin/python bench/alerts.py latency

latency: a rule sends every new issue to a Slack channel played by a local HTTP server in this process; probe
events, each a new issue, are sent one at a time every `--every` seconds, and each probe's latency runs from the
200 that ingest answered to the moment the fake Slack received its message. With `--load N`, N realistic events
(the ingest benchmark's sentry-sdk envelopes, a few issues, no alerts of their own) are sent meanwhile at `--rate`
a second (1,000 by default: the budget's "while digest runs 1,000 events/s"). The storm limit and hourly cap are
lifted for this run only, so every probe is its own message.

storm: `--events` realistic events, each with a fingerprint of its own (so each is a new issue and alerts), through
the real HTTP ingest until all are digested (as bench/e2e_throughput.py measures), with a rule sending every new
issue to a channel that answers 200 (`ok`), never answers (`hang`) or answers 500 (`500`), or with no rule at all
(`none`). Reported: events/s end to end, and the messages the channel received (with the default storm limits).

Production: the server as the end-to-end tests start it, one digest worker and one notifier worker (each its own
Celery queue, as compose.yaml runs them) with beat.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import brotli  # noqa: E402
import django  # noqa: E402
import orjson  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.digest_throughput import cpu_seconds  # noqa: E402
from bench.e2e_throughput import all_digested, digest_state, process_tree, send_all  # noqa: E402
from bench.ingest_bench import make_project, realistic_envelopes  # noqa: E402
from bench.machine import reference_us  # noqa: E402
from issues.tasks import QUEUED_FLAG  # noqa: E402
from notify.models import AlertRule, Channel, Delivery  # noqa: E402
from notify.tasks import QUEUED_FLAG as NOTIFY_QUEUED_FLAG  # noqa: E402
from tests.e2e.conftest import start_server, stop_process  # noqa: E402
from tests.notify.conftest import Receiver  # noqa: E402

PRODUCTION = connection.vendor == "postgresql"


def reset_tables() -> None:
    if PRODUCTION:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE issues_event, issues_issuehourlycount, issues_issueminutecount, issues_issuetag, "
                "issues_issuetransition, issues_grouping, issues_issue, issues_inboxitem, notify_delivery, "
                "notify_alert, notify_handledtransition, notify_ruleissuestate CASCADE"
            )
    else:
        from issues.models import InboxItem, Issue

        Issue.objects.all().delete()
        InboxItem.objects.all().delete()
    cache.delete(QUEUED_FLAG)
    cache.delete(NOTIFY_QUEUED_FLAG)


def start_worker(name: str, queues: str, tmp: Path, env: dict, beat: bool = False) -> subprocess.Popen:
    log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 (kept open for the process's life)
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queues, "-n", f"{name}@%h",
               "--loglevel", "WARNING", "--without-mingle", "--without-gossip"]  # fmt: skip
    command += ["--pool", "threads", "--concurrency", "4"] if queues == "notify" else ["--pool", "solo"]
    if beat:
        command += ["--beat", "--schedule", str(tmp / "beat-schedule")]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


class Service:
    """The server, and in production its digest and notifier workers, with `env` on top of the defaults."""

    def __init__(self, env: dict):
        self.tmp = Path(tempfile.mkdtemp(prefix="th-alerts-bench-"))
        self.server = start_server(self.tmp, {"LOG_LEVEL": "WARNING", **env})
        self.workers = []
        if PRODUCTION:
            self.workers = [
                start_worker("digest", "celery", self.tmp, self.server.env, beat=True),
                start_worker("notify", "notify", self.tmp, self.server.env),
            ]
            time.sleep(3)  # the workers connect to the broker

    def process_groups(self) -> dict[str, list[int]]:
        groups = {"server": process_tree(self.server.process.pid)}
        if self.workers:
            groups.update(digest_worker=[self.workers[0].pid], notify_worker=[self.workers[1].pid])
        return groups

    @property
    def port(self) -> int:
        return int(self.server.url.rsplit(":", 1)[1])

    def stop(self) -> None:
        stop_process(self.server.process)
        for worker in self.workers:
            stop_process(worker)


def alerting_project(url: str | None):
    """A project whose only rule sends every new issue to the Slack channel at `url` (no rule when None)."""
    project, key = make_project()
    AlertRule.objects.filter(project=project).delete()  # not the default team email: only what is measured
    if url is not None:
        slack_rule(project, url)
    return project, key


def slack_rule(project, url: str) -> None:
    channel = Channel.objects.create(project=project, name="#alerts", kind="slack", config={"url": url})
    rule = AlertRule.objects.create(project=project, name="every new issue", triggers=["new_issue"])
    rule.channels.add(channel)


def with_fingerprint(envelope: bytes, fingerprint: str) -> bytes:
    """The envelope with its event's fingerprint set (and a fresh event id), framing lengths recomputed."""
    header, item_header, payload = envelope.split(b"\n", 2)
    event = orjson.loads(payload.rstrip(b"\n"))
    event["fingerprint"] = [fingerprint]
    event["event_id"] = uuid.uuid4().hex
    body = orjson.dumps(event)
    item = orjson.loads(item_header)
    item["length"] = len(body)
    return b"\n".join([header, orjson.dumps(item), body]) + b"\n"


def probe_body(n: int) -> bytes:
    event = {"event_id": uuid.uuid4().hex, "message": f"probe {n}", "level": "error", "platform": "python",
             "fingerprint": [f"probe-{n}"]}  # fmt: skip
    payload = orjson.dumps(event)
    return b"\n".join([b"{}", orjson.dumps({"type": "event", "length": len(payload)}), payload]) + b"\n"


def post(port: int, project, key, body: bytes) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", f"/api/{project.id}/envelope/", body, {
        "X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={key.public_key}, sentry_client=bench/1",
        "Content-Type": "application/x-sentry-envelope",
    })  # fmt: skip
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"probe answered {response.status}")


def latency(probes: int, every: float, load: int, rate: float) -> dict:
    reset_tables()
    reference = round(reference_us(), 1)
    slack = Receiver()
    arrived: dict[str, float] = {}
    original = Receiver.answer_slack

    def answer_slack(receiver, handler):
        text = receiver.requests[-1].json()["text"]
        arrived.setdefault(text.split("probe ", 1)[1].split()[0] if "probe " in text else text, time.monotonic())
        original(receiver, handler)

    Receiver.answer_slack = answer_slack
    project, key = alerting_project(slack.url("/slack"))
    env = {"TRACEHOUND_ALERT_ALLOWED_NETWORKS": "127.0.0.1/32", "TRACEHOUND_ALERT_STORM_MESSAGES": "1000000",
           "TRACEHOUND_ALERT_HOURLY_CAP": "1000000"}  # fmt: skip
    service = Service(env)
    background = None
    try:
        if load:
            from bench.ingest_bench import unique_bodies

            bodies = unique_bodies(realistic_envelopes(project.id, key.public_key, 50), load)
            background = threading.Thread(
                target=lambda: asyncio.run(send_all(service.port, project.id, key.public_key, bodies, 8, rate)),
                daemon=True,
            )
        post(service.port, project, key, probe_body(-1))  # warm up: the first request starts the embedded threads
        time.sleep(3)
        arrived.clear()
        load_started = time.monotonic()
        if background is not None:
            background.start()
        accepted = {}
        for n in range(probes):
            post(service.port, project, key, probe_body(n))
            accepted[str(n)] = time.monotonic()
            time.sleep(every)
        deadline = time.monotonic() + 60
        while len([n for n in accepted if n in arrived]) < probes and time.monotonic() < deadline:
            time.sleep(0.1)
        load_seconds = time.monotonic() - load_started
        if background is not None:
            background.join(600)
            while not all_digested(project.id, load + probes + 1) and time.monotonic() - load_started < 600:
                time.sleep(0.2)
            stored, _, _ = digest_state(project.id)
            load_seconds = time.monotonic() - load_started
    finally:
        service.stop()
        slack.close()
        Receiver.answer_slack = original
    latencies = sorted(arrived[n] - accepted[n] for n in accepted if n in arrived)
    result = {
        "shape": "production" if PRODUCTION else "embedded",
        "probes": probes,
        "arrived": len(latencies),
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p99_s": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 3) if latencies else None,
        "max_s": round(latencies[-1], 3) if latencies else None,
        "reference_us_before_and_after": [reference, round(reference_us(), 1)],
    }
    if load:
        result.update(load_events=load, load_rate=rate, digested_events_per_second=round(stored / load_seconds))
    return result


def storm(events: int, channel: str, envelopes: int) -> dict:
    reset_tables()
    reference = round(reference_us(), 1)
    receiver = Receiver()
    paths = {"none": None, "ok": "/slack", "hang": "/hang", "500": "/500"}
    project, key = alerting_project(receiver.url(paths[channel]) if paths[channel] else None)
    templates = realistic_envelopes(project.id, key.public_key, envelopes)
    bodies = [brotli.compress(with_fingerprint(templates[n % len(templates)], f"storm-{n}"), quality=4)
              for n in range(events)]  # fmt: skip
    service = Service({"TRACEHOUND_ALERT_ALLOWED_NETWORKS": "127.0.0.1/32"})
    groups = service.process_groups()
    cpu_before = {name: sum(map(cpu_seconds, pids)) for name, pids in groups.items()}
    try:
        started = time.monotonic()
        failures = asyncio.run(send_all(service.port, project.id, key.public_key, bodies, 8))
        while not all_digested(project.id, events) and time.monotonic() - started < 900:
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        stored, pending, _ = digest_state(project.id)
        cpu = {
            name: round(sum(cpu_seconds(pid) for pid in pids) - cpu_before[name], 2) for name, pids in groups.items()
        }
        # The storm's last summary waits for the end of its minute; a channel that fails is retried for an hour.
        unsent = Delivery.objects.filter(channel__project=project, status__in=["pending", "sending"])
        while channel in ("ok", "none") and unsent.exists() and time.monotonic() - started < elapsed + 150:
            time.sleep(1)
        time.sleep(2)
    finally:
        service.stop()
        receiver.close()
    return {
        "shape": "production" if PRODUCTION else "embedded",
        "channel": channel,
        "events": events,
        "not_200": failures,
        "stored": stored,
        "pending_at_end": pending,
        "seconds": round(elapsed, 2),
        "events_per_second": round(stored / elapsed),
        "messages_received": len(receiver.requests),
        "cpu_seconds_while_digesting": cpu,
        "reference_us_before_and_after": [reference, round(reference_us(), 1)],
    }


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    lat = sub.add_parser("latency")
    lat.add_argument("--probes", type=int, default=60)
    lat.add_argument("--every", type=float, default=0.5, help="seconds between probes")
    lat.add_argument("--load", type=int, default=0, help="realistic events sent meanwhile")
    lat.add_argument("--rate", type=float, default=1000, help="events a second of the load")
    st = sub.add_parser("storm")
    st.add_argument("--events", type=int, default=10000)
    st.add_argument("--channel", nargs="+", default=["none", "ok"], choices=["none", "ok", "hang", "500"])
    st.add_argument("--envelopes", type=int, default=100, help="distinct sentry-sdk events to generate")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    try:
        if args.what == "latency":
            print(json.dumps(latency(args.probes, args.every, args.load, args.rate)), flush=True)
        else:
            for channel in args.channel:
                print(json.dumps(storm(args.events, channel, args.envelopes)), flush=True)
    finally:
        reset_tables()


if __name__ == "__main__":
    main()
