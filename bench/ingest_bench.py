"""Ingest benchmark: accepted events per second, latency, server CPU per event and RSS.

Production shape: daphne serving config.asgi on PostgreSQL (database th_ingest) with Redis for cache and broker,
no digest worker running (the inbox just fills; digest has its own benchmark). The bodies are real sentry-sdk
envelopes: exceptions with local variables, breadcrumbs and tags, 10-25 KB of JSON each, brotli-compressed as the
SDK sends them. A small asyncio HTTP/1.1 client with keep-alive replays them at concurrency 1, 8 and 32.

    .venv/bin/python bench/ingest_bench.py [--seconds 8] [--concurrency 1 8 32]

Needs PostgreSQL on 127.0.0.1 (creates th_ingest if missing) and Redis on 127.0.0.1:6379 (database 1).
"""

import argparse
import asyncio
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = "postgres://postgres@127.0.0.1:5432/th_ingest"
REDIS_URL = "redis://127.0.0.1:6379/1"
SECRET_KEY = "bench-only-" + "x" * 50


def configure_django() -> None:
    os.environ.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        SECRET_KEY=SECRET_KEY,
        TRACEHOUND_DATA_DIR=tempfile.mkdtemp(prefix="th-bench-"),
        DJANGO_SETTINGS_MODULE="config.settings",
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(ROOT))
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", "th_ingest"], capture_output=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_project():
    from projects.services import create_project, ensure_default_team

    project, key = create_project(ensure_default_team(), f"bench {time.time():.0f}")
    project.events_per_minute = project.events_per_hour = 10**9  # measure ingest, not the quota
    project.save()
    return project, key


def realistic_envelopes(project_id: int, public_key: str, count: int) -> list[bytes]:
    """Envelopes the real sentry-sdk builds for exceptions in a request handler (serialised, not compressed)."""
    import sentry_sdk
    from sentry_sdk.transport import Transport

    captured = []

    class Capture(Transport):
        def capture_envelope(self, envelope):
            captured.append(envelope.serialize())

    sentry_sdk.init(
        dsn=f"http://{public_key}@127.0.0.1/{project_id}",
        transport=Capture(),
        include_local_variables=True,
        max_breadcrumbs=100,
        send_client_reports=False,
        release="shop@4.2.0",
        environment="production",
    )
    log = logging.getLogger("shop.orders")
    log.setLevel(logging.INFO)
    log.propagate = False  # breadcrumbs only, nothing on the console

    def load_order(order_id, customer, lines):
        totals = {line["sku"]: line["qty"] * line["price"] for line in lines}
        note = "customer note " * 20
        return validate(order_id, customer, totals, note)

    def validate(order_id, customer, totals, note):
        limits = {"max_total": 1000, "currency": "EUR", "customer": customer}
        if sum(totals.values()) > limits["max_total"]:
            raise ValueError(f"order {order_id} over limit for {customer['email']}")

    for n in range(count):
        sentry_sdk.set_tag("tenant", f"tenant-{n % 7}")
        sentry_sdk.set_user({"id": n % 50, "email": f"user{n % 50}@example.com"})
        for step in range(40):
            log.info("processing step %s of order %s", step, n)
        customer = {"email": f"user{n % 50}@example.com", "address": "Main Street " * 5, "tier": "gold"}
        lines = [{"sku": f"SKU-{n}-{i}", "qty": i + 1, "price": 99.5, "title": "widget " * 8} for i in range(12)]
        try:
            load_order(n, customer, lines)
        except ValueError:
            sentry_sdk.capture_exception()
    sentry_sdk.flush()
    return captured


def unique_bodies(envelopes: list[bytes], count: int) -> list[bytes]:
    """`count` brotli bodies, each with its own event id (a resent id would be stored once, and cost less)."""
    import uuid

    import brotli

    bodies = []
    for n in range(count):
        envelope = envelopes[n % len(envelopes)]
        old_id = envelope.split(b'"event_id":"', 1)[1][:32]
        bodies.append(brotli.compress(envelope.replace(old_id, uuid.uuid4().hex.encode()), quality=4))
    return bodies


class Stats:
    def __init__(self):
        self.latencies: list[float] = []
        self.failures = 0


async def client(host, port, request_heads, bodies, deadline, stats, offset, step):
    reader, writer = await asyncio.open_connection(host, port)
    n = offset
    while time.perf_counter() < deadline:
        body = bodies[n % len(bodies)]
        n += step  # clients take turns through the bodies: every event id is sent once
        started = time.perf_counter()
        writer.write(request_heads[len(body)] + body)
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        if b" 200 " in status_line:
            stats.latencies.append(time.perf_counter() - started)
        else:
            stats.failures += 1
    writer.close()


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_level(port, project, key, bodies, concurrency, seconds):
    heads = {}
    for body in bodies:
        heads[len(body)] = (
            f"POST /api/{project.id}/envelope/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"X-Sentry-Auth: Sentry sentry_version=7, sentry_key={key.public_key}, sentry_client=sentry.python\r\n"
            f"Content-Type: application/x-sentry-envelope\r\nContent-Encoding: br\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
    stats = Stats()

    async def main():
        deadline = time.perf_counter() + seconds
        await asyncio.gather(
            *(client("127.0.0.1", port, heads, bodies, deadline, stats, i, concurrency) for i in range(concurrency))
        )

    started = time.perf_counter()
    asyncio.run(main())
    return stats, time.perf_counter() - started


def wait_for_port(port, server, server_log) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            server_log.seek(0)
            sys.exit(f"server exited:\n{server_log.read().decode(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("server did not start")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--events", type=int, default=300, help="distinct sentry-sdk events to generate")
    parser.add_argument("--bodies", type=int, default=30000, help="request bodies, each with a unique event id")
    args = parser.parse_args()

    configure_django()
    from django.db import connection

    from issues.models import InboxItem

    project, key = make_project()
    raw = realistic_envelopes(project.id, key.public_key, args.events)
    bodies = unique_bodies(raw, args.bodies)
    sizes = sorted(len(body) for body in raw)
    print(
        f"{len(bodies)} envelopes: JSON {sizes[0] // 1024}-{sizes[-1] // 1024} KB (median {sizes[len(sizes) // 2]}"
        f" B), brotli median {sorted(len(b) for b in bodies)[len(bodies) // 2]} B"
    )

    port = 18000 + os.getpid() % 1000
    env = {
        **os.environ,
        "TRACEHOUND_MODE": "production",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "TRACEHOUND_URL": f"http://127.0.0.1:{port}",
    }
    server_log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the server's whole life)
    server = subprocess.Popen(
        [
            sys.executable,
            *os.environ.get("BENCH_PYTHON_ARGS", "").split(),
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "config.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, server, server_log)
        run_level(port, project, key, bodies, 4, 2)  # warm up: connections, key cache, code paths
        print("| concurrency | accepted events/s | p50 ms | p95 ms | p99 ms | server CPU ms/event | server RSS MiB |")
        print("|---|---|---|---|---|---|---|")
        for concurrency in args.concurrency:
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {InboxItem._meta.db_table}")
            cpu_before = process_cpu_seconds(server.pid)
            stats, elapsed = run_level(port, project, key, bodies, concurrency, args.seconds)
            cpu = process_cpu_seconds(server.pid) - cpu_before
            accepted = len(stats.latencies)
            stored = InboxItem.objects.filter(project_id=project.id).count()
            assert stats.failures == 0, f"{stats.failures} requests were not answered 200"
            assert stored >= accepted * 0.99, f"answered 200 for {accepted} events but {stored} are stored"
            quantiles = statistics.quantiles(stats.latencies, n=100)
            print(
                f"| {concurrency} | {accepted / elapsed:,.0f} | {quantiles[49] * 1000:.1f} | "
                f"{quantiles[94] * 1000:.1f} | {quantiles[98] * 1000:.1f} | {cpu / accepted * 1000:.2f} | "
                f"{rss_mib(server.pid):.0f} |"
            )
        print(f"load average during the run (2 cores): {os.getloadavg()[0]:.1f}")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
