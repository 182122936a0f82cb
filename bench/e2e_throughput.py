"""End-to-end throughput: sentry-sdk envelopes through the real HTTP ingest until every event is an issue's event.

    DATABASE_URL=postgres://postgres@127.0.0.1/th_e2e REDIS_URL=redis://127.0.0.1:6379/2 SECRET_KEY=... \
        flock /tmp/bench.lock .venv/bin/python bench/e2e_throughput.py --events 10000 --workers 1 2

The production shape, all of it: the web server started exactly as the end-to-end tests start it
(`tests/e2e/conftest.py:start_server`, the one place its command line is written, so a change of server there is
measured here too), W `celery -A config worker` processes, Postgres and Redis. The bodies are the ingest
benchmark's envelopes (the real sentry-sdk capturing exceptions with locals and breadcrumbs; brotli as the SDK
sends them; each with its own event id), replayed by an asyncio keep-alive client at `--concurrency`. The clock
runs from the first request until `manage.py status`'s numbers (its `project_stats()`) show all N events stored
under issues and none pending.

Reported per worker count: events/s end to end, and how long the sending alone took (the ingest rate while digest
ran beside it); CPU per event of the server, the workers and the Postgres backends, and of this client (it runs
on the same 2 cores, where real clients would not); peak RSS of each server and worker process. The database must be a
scratch one: the digest tables are emptied before each run and after the last.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.digest_throughput import backend_pids, cpu_seconds, peak_rss_mb, reset_tables, start_workers  # noqa: E402
from bench.ingest_bench import make_project, realistic_envelopes, unique_bodies  # noqa: E402
from bench.machine import reference_us  # noqa: E402
from config.management.commands.status import project_stats  # noqa: E402
from issues.tasks import QUEUED_FLAG  # noqa: E402
from tests.e2e.conftest import start_server, stop_process  # noqa: E402


async def send_all(
    port: int, project_id: int, public_key: str, bodies: list[bytes], concurrency: int, rate: float | None = None
) -> int:
    """POST every body once over `concurrency` keep-alive connections, as fast as they are answered or, with
    `rate`, the n-th no sooner than n/rate seconds in; returns how many were not answered 200."""
    head = (
        f"POST /api/{project_id}/envelope/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"X-Sentry-Auth: Sentry sentry_version=7, sentry_key={public_key}, sentry_client=sentry.python\r\n"
        "Content-Type: application/x-sentry-envelope\r\nContent-Encoding: br\r\nContent-Length: "
    ).encode()
    queue = iter(enumerate(bodies))
    failures = 0
    started = time.monotonic()

    async def connection_worker():
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for n, body in queue:  # the connections share one iterator: each body is sent once
            if rate:
                await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            failures += b" 200 " not in status_line
        writer.close()

    await asyncio.gather(*(connection_worker() for _ in range(concurrency)))
    return failures


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (a server may run several worker processes under a manager)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(descendant for child in children for descendant in process_tree(int(child)))]


def digest_state(project_id: int) -> tuple[int, int, int]:
    """(events stored under issues, events pending, events set aside) as `manage.py status` reports them."""
    [row] = [row for row in project_stats() if row["project_id"] == project_id]
    return row["events"], row["pending"], row["set_aside"]


def all_digested(project_id: int, events: int) -> bool:
    stored, pending, set_aside = digest_state(project_id)
    return pending == 0 and stored + set_aside >= events


def run(events: int, workers_count: int, concurrency: int, envelopes_per_run: int, web_processes: int | None) -> dict:
    reset_tables()
    reference = round(reference_us(), 1)
    cache.delete(QUEUED_FLAG)  # a flag left by an earlier run would hold back the first digest task
    project, key = make_project()
    bodies = unique_bodies(realistic_envelopes(project.id, key.public_key, envelopes_per_run), events)
    tmp = Path(tempfile.mkdtemp(prefix="th-e2e-bench-"))
    server_env = {"LOG_LEVEL": "WARNING"}
    if web_processes:
        server_env["WEB_CONCURRENCY"] = str(web_processes)
    server = start_server(tmp, server_env)
    workers = start_workers(workers_count, tmp)
    try:
        server_pids = process_tree(server.process.pid)
        pids = [*server_pids, *(worker.pid for worker in workers)]
        cpu_before = {pid: cpu_seconds(pid) for pid in [*pids, os.getpid(), *backend_pids()]}
        started = time.monotonic()
        failures = asyncio.run(send_all(int(server.url.rsplit(":", 1)[1]), project.id, key.public_key, bodies,
                                        concurrency))  # fmt: skip
        sent = time.monotonic() - started
        client_cpu = cpu_seconds(os.getpid()) - cpu_before[os.getpid()]
        # Backends come and go (a worker's connection between tasks): keep each one's last reading.
        cpu_last = dict(cpu_before)
        while not all_digested(project.id, events) and time.monotonic() - started < 600:
            for pid in backend_pids():
                cpu_last[pid] = max(cpu_last.get(pid, 0.0), cpu_seconds(pid))
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        stored, pending, set_aside = digest_state(project.id)
        for pid in backend_pids():
            cpu_last[pid] = max(cpu_last.get(pid, 0.0), cpu_seconds(pid))
        backends = set(cpu_last) - {*pids, os.getpid()}
        cpu = {
            "server": sum(cpu_seconds(pid) - cpu_before[pid] for pid in server_pids),
            "workers": sum(cpu_seconds(worker.pid) - cpu_before[worker.pid] for worker in workers),
            "postgres": sum(cpu_last[pid] - cpu_before.get(pid, 0.0) for pid in backends),
            "client": client_cpu,
        }
        rss = {"server": [peak_rss_mb(pid) for pid in server_pids], "workers": [peak_rss_mb(w.pid) for w in workers]}
    finally:
        stop_process(server.process)
        for worker in workers:
            stop_process(worker)
    return {
        "events": events,
        "workers": workers_count,
        "not_200": failures,
        "stored": stored,
        "pending_at_end": pending,
        "set_aside": set_aside,
        "seconds": round(elapsed, 2),
        "events_per_second": round(stored / elapsed),
        "sending_seconds": round(sent, 2),
        "ingest_events_per_second": round(events / sent),
        "cpu_us_per_event": {name: round(value / events * 1e6) for name, value in cpu.items()},
        "server_processes": len(server_pids),
        "peak_rss_mb": {name: [round(value) for value in values] for name, values in rss.items()},
        "load_average_at_end": os.getloadavg(),
        "reference_us_before_and_after": [reference, round(reference_us(), 1)],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts, one run each")
    parser.add_argument("--concurrency", type=int, default=8, help="client connections")
    parser.add_argument("--envelopes", type=int, default=300, help="distinct sentry-sdk events to generate")
    parser.add_argument("--web-processes", type=int, help="the server's processes (default: as the tests start it)")
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        sys.exit("run on the production shape: DATABASE_URL (a scratch Postgres database) and REDIS_URL")
    call_command("migrate", verbosity=0)
    try:
        for workers in args.workers:
            print(
                json.dumps(run(args.events, workers, args.concurrency, args.envelopes, args.web_processes)), flush=True
            )
    finally:
        reset_tables()


if __name__ == "__main__":
    main()
