"""Digest throughput on the production shape: real sentry-sdk events, real Celery workers, Postgres.

    DATABASE_URL=postgres://postgres@127.0.0.1/th_digest REDIS_URL=redis://127.0.0.1:6379/2 SECRET_KEY=... \
        .venv/bin/python bench/digest_throughput.py --events 20000 --workers 1

What it does: captures a set of realistic events with the real sentry-sdk (nested calls with locals, source
context, breadcrumbs, request, user, tags; about 10-15 KB of JSON each, 40 distinct problems), writes N copies
with fresh event ids to the inbox as ingest would (committed, untimed), starts W `celery -A config worker
--pool solo` processes, signals digest the way ingest does (`handoff.events_accepted`), and measures until the
inbox is empty and N events are stored. Reported: events/s (wall, from the signal to the last commit), CPU per
event of the workers and of their Postgres backends (from /proc), and the workers' peak RSS.

The database must be a scratch one: the digest tables are emptied before and after the run.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402
import sentry_sdk  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from issues import handoff  # noqa: E402
from issues.models import Event, InboxItem, Issue  # noqa: E402
from projects.services import create_project, ensure_default_team  # noqa: E402
from tests.issues.sdk_events import KeepingTransport  # noqa: E402  (keeps events, drops the package list)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class CheckoutError(Exception):
    pass


def level_3(kind, order, cart):
    discount = {"code": f"SAVE{kind}", "percent": 10, "valid": True}  # noqa: F841
    if kind % 4 == 0:
        raise CheckoutError(f"cart {order['id']} has {len(cart)} items but no shipping address")
    if kind % 4 == 1:
        return cart["missing-key-" + str(kind)]
    if kind % 4 == 2:
        return int(order["note"])
    return 1 / (len(order["lines"]) - len(order["lines"]))


def level_2(kind, order):
    cart = {f"sku-{n}": {"qty": n, "price": 9.99 * n} for n in range(8)}
    return level_3(kind, order, cart)


def level_1(kind, user):
    order = {"id": 1000 + kind, "user": user, "lines": list(range(5)), "note": "deliver after 6pm"}
    return level_2(kind, order)


def function_for(kind):
    # Distinct problems: each kind re-raises its own exception type, chained to the low-level cause.
    error_type = type(f"CheckoutStep{kind}Error", (Exception,), {})

    def entry():
        try:
            return level_1(kind, {"id": kind, "email": f"user{kind}@example.com"})
        except Exception as error:
            raise error_type(f"checkout step {kind} failed") from error

    return entry


def realistic_events(kinds: int = 40) -> list[dict]:
    transport = KeepingTransport()
    sentry_sdk.init(
        dsn="http://public@127.0.0.1:9/1",
        transport=transport,
        release="shop@2.3.1",
        environment="production",
        server_name="web-3",
        include_local_variables=True,
        default_integrations=False,
        max_breadcrumbs=30,
    )
    for kind in range(kinds):
        with sentry_sdk.new_scope() as scope:
            scope.set_user({"id": str(kind % 13), "email": f"user{kind % 13}@example.com", "ip_address": "10.1.2.3"})
            scope.set_tag("region", ["eu", "us"][kind % 2])
            scope.set_tag("plan", "pro")
            for n in range(30):
                sentry_sdk.add_breadcrumb(
                    category="query", message=f"SELECT * FROM orders WHERE id = {n}", data={"duration_ms": n}
                )
            try:
                function_for(kind)()
            except Exception:
                sentry_sdk.capture_exception()
    sentry_sdk.flush()
    for event in transport.events:
        event["request"] = {
            "method": "POST",
            "url": "https://shop.example.com/checkout",
            "query_string": "step=pay",
            "headers": {"User-Agent": "Mozilla/5.0", "Accept": "text/html", "Cookie": "sessionid=abc"},
            "data": {"card": "4111 1111 1111 1111", "amount": "19.99", "password": "x"},
            "env": {"REMOTE_ADDR": "10.1.2.3"},
        }
    return transport.events


def reset_tables():
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE issues_event, issues_issuehourlycount, issues_issuetag, issues_issuetransition, "
            "issues_grouping, issues_issue, issues_inboxitem CASCADE"
        )


def fill_inbox(project, templates: list[dict], count: int) -> int:
    rows, size = [], 0
    for n in range(count):
        event_id = uuid.uuid4()
        payload = orjson.dumps({**templates[n % len(templates)], "event_id": event_id.hex})
        size += len(payload)
        rows.append(InboxItem(project=project, event_id=event_id, payload=payload))
        if len(rows) == 2000:
            InboxItem.objects.bulk_create(rows)
            rows = []
    InboxItem.objects.bulk_create(rows)
    return size // count


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def backend_pids() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def start_workers(count: int, log_dir: Path) -> list[subprocess.Popen]:
    workers = []
    for n in range(count):
        log = open(log_dir / f"worker-{n}.log", "wb")  # noqa: SIM115 (kept open for the process's life)
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool",
                    "solo",
                    "-n",
                    f"bench{n}@%h",
                    "--loglevel",
                    "WARNING",
                    "--without-mingle",
                    "--without-gossip",
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        )
    time.sleep(4)  # workers connect to the broker; an idle worker costs nothing
    return workers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        sys.exit("run on the production shape: DATABASE_URL (a scratch Postgres database) and REDIS_URL")

    call_command("migrate", verbosity=0)
    reset_tables()
    project, _ = create_project(ensure_default_team(), f"bench-{uuid.uuid4().hex[:6]}")
    templates = realistic_events()
    average_size = fill_inbox(project, templates, args.events)

    log_dir = Path(os.environ.get("TMPDIR", "/tmp"))
    workers = start_workers(args.workers, log_dir)
    try:
        cpu_before = {pid: cpu_seconds(pid) for pid in [w.pid for w in workers] + backend_pids()}
        started = time.monotonic()
        handoff.events_accepted(project.id)
        # Backends may close before the end (a worker's connection after its task): keep their last reading.
        cpu_last = dict(cpu_before)
        while InboxItem.objects.filter(set_aside=False).exists():
            for pid in backend_pids():
                cpu_last[pid] = max(cpu_last.get(pid, 0.0), cpu_seconds(pid))
            time.sleep(0.05)
        for pid in cpu_last:
            cpu_last[pid] = max(cpu_last[pid], cpu_seconds(pid))
        elapsed = time.monotonic() - started
        stored = Event.objects.filter(project=project).count()
        worker_cpu = sum(cpu_seconds(w.pid) - cpu_before.get(w.pid, 0) for w in workers)
        backends = set(cpu_last) - {w.pid for w in workers}
        database_cpu = sum(cpu_last[pid] - cpu_before.get(pid, 0.0) for pid in backends)
        rss = [peak_rss_mb(w.pid) for w in workers]
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=20)
    with open("/proc/loadavg") as load:
        load_average = load.read().split()[0]
    result = {
        "events": args.events,
        "stored": stored,
        "issues": Issue.objects.filter(project=project).count(),
        "workers": args.workers,
        "average_event_bytes": average_size,
        "seconds": round(elapsed, 2),
        "events_per_second": round(stored / elapsed),
        "worker_cpu_us_per_event": round(worker_cpu / stored * 1e6),
        "postgres_cpu_us_per_event": round(database_cpu / stored * 1e6),
        "worker_peak_rss_mb": [round(value) for value in rss],
        "load_average_at_end": load_average,
    }
    print(json.dumps(result))
    reset_tables()


if __name__ == "__main__":
    main()
