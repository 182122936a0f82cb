"""Ingest benchmark: accepted events per second, latency, and CPU per event of server, Postgres and load generator.

Production shape: the production web server (config/server.py: uvicorn with request bounds, two worker processes;
`--server` and `--workers` choose the candidates it was measured against, and `--rounds` alternates them) serving
config.asgi on PostgreSQL (database th_ingest) with Redis for cache and broker, no digest worker running (the inbox
just fills; digest has its own benchmark). The bodies are real sentry-sdk envelopes: exceptions with local
variables, breadcrumbs and tags, 10-25 KB of JSON each, brotli-compressed as the SDK sends them, each with its own
event id. The load comes from `wrk` (Debian package `wrk`) replaying pre-built requests over keep-alive connections
(bench/ingest_wrk.lua), so the load generator costs about a tenth of what the server does; its CPU is reported apart
from the server's.

    .venv/bin/python bench/ingest_bench.py [--seconds 8] [--concurrency 1 8 32] [--server production [uvicorn ...]]
        [--rounds 1] [--workers 2]

Needs PostgreSQL on 127.0.0.1 (creates th_ingest if missing), Redis on 127.0.0.1:6379 (database 1) and wrk;
BENCH_DATABASE_URL and BENCH_REDIS_URL choose others (several checkouts benchmarking on one machine).
"""

import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/th_ingest")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
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
    database = DATABASE_URL.rsplit("/", 1)[1]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], capture_output=True)
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


SERVERS = {
    # The production server (config/server.py, which compose.yaml, the Dockerfile, README and tests/e2e/conftest.py
    # run), and the candidates it was measured against: uvicorn's own protocols with the same options (httptools was
    # the production command before the request bounds), granian, daphne. `{port}` and `{workers}` are filled in;
    # daphne has no worker option.
    "production": "-m config.server --host 127.0.0.1 --port {port} --workers {workers}",
    "uvicorn": "-m uvicorn config.asgi:application --host 127.0.0.1 --port {port} --workers {workers} --loop uvloop "
    "--http httptools --ws websockets --lifespan off --no-access-log --no-proxy-headers",
    "uvicorn-h11": "-m uvicorn config.asgi:application --host 127.0.0.1 --port {port} --workers {workers} "
    "--loop uvloop --http h11 --ws websockets --lifespan off --no-access-log --no-proxy-headers",
    "granian": "-m granian --interface asginl --host 127.0.0.1 --port {port} --workers {workers} --loop uvloop "
    "config.asgi:application",
    "daphne": "-m daphne -b 127.0.0.1 -p {port} config.asgi:application",
    # The production server with Prometheus metrics on (config/metrics.py: each process counts into files of its
    # own), to be measured against "production" (metrics off).
    "production-metrics": "-m config.server --host 127.0.0.1 --port {port} --workers {workers}",
}
# Environment a server of SERVERS gets on top of the benchmark's.
SERVER_ENVIRONMENT = {"production-metrics": {"TRACEHOUND_METRICS_TOKEN": "bench-only-token"}}


def write_request_files(directory: Path, project, key, bodies: list[bytes], files: int) -> str:
    """Complete HTTP requests, dealt out to `files` files (one per wrk thread); the prefix wrk's script takes."""
    prefix = str(directory / "requests")
    auth = f"Sentry sentry_version=7, sentry_key={key.public_key}, sentry_client=sentry.python"
    outputs = [open(f"{prefix}-{n}", "wb") for n in range(files)]  # noqa: SIM115 (closed below)
    for n, body in enumerate(bodies):
        head = (
            f"POST /api/{project.id}/envelope/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Sentry-Auth: {auth}\r\n"
            f"Content-Type: application/x-sentry-envelope\r\nContent-Encoding: br\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        outputs[n % files].write(b"%d\n" % (len(head) + len(body)) + head + body)
    for output in outputs:
        output.close()
    return prefix


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn and granian run their workers as child processes)."""
    pids, index = [pid], 0
    while index < len(pids):
        for task in Path(f"/proc/{pids[index]}/task").glob("*"):
            children = (task / "children").read_text().split()
            pids.extend(int(child) for child in children)
        index += 1
    return pids


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def postgres_pids() -> list[int]:
    """This database's backends (the server's connections) and the WAL writer and checkpointer they wait for."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE (datname = current_database() AND pid <> pg_backend_pid()) "
            "OR backend_type IN ('walwriter', 'checkpointer', 'background writer')"
        )
        return [pid for (pid,) in cursor.fetchall()]


def run_wrk(port: int, prefix: str, concurrency: int, seconds: int) -> tuple[dict, float]:
    """wrk's summary and its own CPU seconds (a waited-for child: RUSAGE_CHILDREN grows by exactly its usage)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        ["wrk", "-t", str(min(2, concurrency)), "-c", str(concurrency), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", str(ROOT / "bench" / "ingest_wrk.lua"), f"http://127.0.0.1:{port}", "--", prefix],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(result.stdout.strip().splitlines()[-1]), client_cpu


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


def measure_server(name: str, args, prefix: str, project) -> None:
    """Start one server command, warm it up, and print a row per concurrency level."""
    from django.db import connection

    from bench.machine import reference_us
    from issues.models import InboxItem

    port = args.port or 18000 + os.getpid() % 1000
    env = {
        **os.environ,
        "TRACEHOUND_MODE": "production",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "TRACEHOUND_URL": f"http://127.0.0.1:{port}",
        **SERVER_ENVIRONMENT.get(name, {}),
    }
    command = SERVERS[name].format(port=port, workers=args.workers).split()
    server_log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the server's whole life)
    server = subprocess.Popen(
        [sys.executable, *command], cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, server, server_log)
        run_wrk(port, prefix, 4, 3)  # warm up: every worker's connections, key cache, code paths
        server_pids, database_pids = process_tree(server.pid), postgres_pids()
        for concurrency in args.concurrency:
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {InboxItem._meta.db_table}")
                # Every run writes a few hundred MB of WAL: start each from a finished checkpoint, so that no run
                # pays for flushing the previous one's pages while it measures.
                cursor.execute("CHECKPOINT")
            load = os.getloadavg()[0]
            reference = reference_us()
            server_before = sum(cpu_seconds(pid) for pid in server_pids)
            database_before = sum(cpu_seconds(pid) for pid in database_pids)
            summary, client_cpu = run_wrk(port, prefix, concurrency, args.seconds)
            server_cpu = sum(cpu_seconds(pid) for pid in server_pids) - server_before
            database_cpu = sum(cpu_seconds(pid) for pid in database_pids) - database_before
            accepted = summary["requests"] - summary["non_2xx"]
            time.sleep(0.5)  # requests cut off by wrk's deadline may still commit
            stored = InboxItem.objects.filter(project_id=project.id).count()
            assert summary["non_2xx"] == 0 and summary["socket_errors"] == 0, f"not all answered 200: {summary}"
            assert summary["requests"] <= summary["available"], "ran out of distinct events: raise --bodies"
            assert stored >= accepted, f"answered 200 for {accepted} events but {stored} are stored"
            print(
                f"| {name} | {concurrency} | {accepted / (summary['duration_us'] / 1e6):,.0f} "
                f"| {summary['p50_us'] / 1000:.1f} | {summary['p95_us'] / 1000:.1f} | {summary['p99_us'] / 1000:.1f} "
                f"| {server_cpu / accepted * 1000:.2f} | {database_cpu / accepted * 1000:.2f} "
                f"| {client_cpu / accepted * 1000:.2f} | {rss_mib(server_pids):.0f} "
                f"| {load:.1f} -> {os.getloadavg()[0]:.1f} | {reference:.0f} |",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=20)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument(
        "--server", choices=SERVERS, nargs="+", default=["production"], help="several: measured in turn, each round"
    )
    parser.add_argument("--rounds", type=int, default=1, help="times to measure the servers, alternating them")
    parser.add_argument("--workers", type=int, default=2, help="server processes (not for daphne)")
    parser.add_argument("--events", type=int, default=300, help="distinct sentry-sdk events to generate")
    parser.add_argument("--bodies", type=int, default=40000, help="request bodies, each with a unique event id")
    parser.add_argument("--port", type=int, help="the servers' port (default: 18000 + this process id % 1000)")
    args = parser.parse_args()

    configure_django()
    project, key = make_project()
    raw = realistic_envelopes(project.id, key.public_key, args.events)
    bodies = unique_bodies(raw, args.bodies)
    sizes = sorted(len(body) for body in raw)
    print(
        f"{len(bodies)} envelopes: JSON {sizes[0] // 1024}-{sizes[-1] // 1024} KB (median {sizes[len(sizes) // 2]}"
        f" B), brotli median {sorted(len(b) for b in bodies)[len(bodies) // 2]} B"
    )
    work = Path(tempfile.mkdtemp(prefix="th-bench-requests-"))
    prefix = write_request_files(work, project, key, bodies, files=2)
    del bodies

    print(f"{args.workers} worker process(es) (daphne: one)")
    print(
        "| server | concurrency | accepted events/s | p50 ms | p95 ms | p99 ms | server CPU ms/event "
        "| Postgres CPU ms/event | client CPU ms/event | server RSS MiB | load average | reference us |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    try:
        for _ in range(args.rounds):
            for name in args.server:
                measure_server(name, args, prefix, project)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
