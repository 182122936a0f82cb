"""Retention benchmark: ingest's latency while retention's sweep deletes a million events, against the same load
without the sweep; and how fast the sweep deletes.

Production shape, as the ingest benchmark (bench/ingest_bench.py, whose pieces this reuses): the production web
server with two processes on PostgreSQL and Redis, wrk replaying real sentry-sdk envelopes at concurrency 8. Before
each sweeping run, N events received 100 days ago are written straight into the events table (one INSERT ...
SELECT, untimed), 1 KB of payload each, spread over 100 issues; then the sweep runs in this process while wrk
measures, for as long as the sweep takes. Idle and sweeping runs alternate.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/th_retention \
        .venv/bin/python bench/retention.py [--events 1000000] [--rounds 2] [--seconds 30] [--sweep-seconds 90]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/th_retention")

from bench import ingest_bench  # noqa: E402


def fill_old_events(project, count: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from issues.models import Event, Issue

    issue_ids = []
    for n in range(100):
        issue, _ = Issue.objects.get_or_create(
            project=project,
            short_id=100_000 + n,
            defaults={
                "title": f"OldError: {n}",
                "culprit": "shop.old in handler",
                "level": "error",
                "first_seen": timezone.now(),
                "last_seen": timezone.now(),  # the issues stay: only their old events go
            },
        )
        issue_ids.append(issue.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {Event._meta.db_table}
                (project_id, issue_id, event_id, timestamp, received_at, level, release, environment, user_key,
                 payload)
            SELECT %s, (%s::bigint[])[1 + n %% 100], gen_random_uuid(), now() - interval '100 days',
                   now() - interval '100 days' + n * interval '1 millisecond', 'error', 'shop@1.0', 'production',
                   '', convert_to(repeat(md5(n::text), 32), 'UTF8')
            FROM generate_series(1, %s) AS n""",
            [project.pk, issue_ids, count],
        )
        cursor.execute(f"VACUUM ANALYZE {Event._meta.db_table}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=30, help="length of an idle run")
    parser.add_argument("--sweep-seconds", type=int, default=90, help="length of the first load run of a sweep")
    parser.add_argument("--bodies", type=int, default=120_000)
    args = parser.parse_args()

    ingest_bench.configure_django()
    from django.db import connection

    from issues import retention
    from issues.models import InboxItem

    project, key = ingest_bench.make_project()
    bodies = ingest_bench.unique_bodies(ingest_bench.realistic_envelopes(project.id, key.public_key, 200), args.bodies)
    work = Path(tempfile.mkdtemp(prefix="th-bench-retention-"))
    prefix = ingest_bench.write_request_files(work, project, key, bodies, files=2)
    del bodies
    port = 18000 + os.getpid() % 1000
    env = {
        **os.environ,
        "TRACEHOUND_MODE": "production",
        "ALLOWED_HOSTS": "127.0.0.1",
        "TRACEHOUND_URL": f"http://127.0.0.1:{port}",
    }
    command = ingest_bench.SERVERS["production"].format(port=port, workers=2).split()
    server_log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the server's whole life)
    server = subprocess.Popen(
        [sys.executable, *command], cwd=ingest_bench.ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT
    )
    print("| run | seconds | events/s | p50 ms | p99 ms | max ms | deleted | deleted/s | p99 ms of each wrk run |")
    print("|---|---|---|---|---|---|---|---|---|")
    try:
        ingest_bench.wait_for_port(port, server, server_log)
        ingest_bench.run_wrk(port, prefix, 4, 3)
        for _ in range(args.rounds):
            for sweeping in (False, True):
                with connection.cursor() as cursor:
                    cursor.execute(f"TRUNCATE {InboxItem._meta.db_table}")
                deleted, elapsed = 0, float(args.seconds)
                if sweeping:
                    fill_old_events(project, args.events)
                    with connection.cursor() as cursor:
                        cursor.execute("CHECKPOINT")
                    result = {}

                    def sweep(result=result):
                        started = time.monotonic()
                        result["deleted"] = retention.sweep()
                        result["seconds"] = time.monotonic() - started

                    thread = threading.Thread(target=sweep)
                    thread.start()
                    # One wrk run across the sweep (its p99 is the whole window's), then 10 s slices while the
                    # sweep lasts longer, so the figures cover all of it.
                    slices = [ingest_bench.run_wrk(port, prefix, 8, args.sweep_seconds)[0]]
                    while thread.is_alive():
                        slices.append(ingest_bench.run_wrk(port, prefix, 8, 10)[0])
                    thread.join()
                    deleted, elapsed = result["deleted"].events, result["seconds"]
                else:
                    slices = [ingest_bench.run_wrk(port, prefix, 8, args.seconds)[0]]
                requests = sum(s["requests"] - s["non_2xx"] for s in slices)
                duration = sum(s["duration_us"] for s in slices) / 1e6
                print(
                    f"| {'sweeping' if sweeping else 'idle'} | {elapsed:.0f} | {requests / duration:,.0f} "
                    f"| {max(s['p50_us'] for s in slices) / 1000:.1f} | {max(s['p99_us'] for s in slices) / 1000:.1f} "
                    f"| {max(s['max_us'] for s in slices) / 1000:.1f} | {deleted:,} "
                    f"| {deleted / elapsed if sweeping else 0:,.0f} "
                    f"| {' '.join(str(round(s['p99_us'] / 1000)) for s in slices) if sweeping else ''} |",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
