"""Uptime checks: do 1,000 checks at a 1-minute interval keep their schedule on this machine?

    # production shape (a scratch PostgreSQL database; its monitors tables are emptied before and after):
    DATABASE_URL=postgres://postgres@127.0.0.1/th_monitors SECRET_KEY=... \\
        .venv/bin/python bench/monitors.py [--checks 1000] [--seconds 150] [--concurrency 50]
    # embedded shape (SQLite):
    DATABASE_URL=sqlite:////tmp/th_monitors.sqlite3 TRACEHOUND_MODE=embedded SECRET_KEY=... \\
        .venv/bin/python bench/monitors.py

`--checks` uptime checks (GET, keyword present, 60 s interval) of a local site (a separate process serving a small
health page over HTTP), their first runs spread evenly over the first minute, are run by the same Runner that the
embedded thread and the production Celery task drive (monitors/uptime.py), ticked twice a second as the embedded
thread ticks it, for `--seconds`. Reported: runs per minute, how late each run started after it was due (p50, p95,
p99, max), the runs each check got, the CPU the runner's process spent per check (its pool threads included; the
database's is not counted) and the machine's reference (bench/machine.py).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.machine import reference_us  # noqa: E402
from monitors.models import UptimeCheck, UptimeResult  # noqa: E402
from monitors.uptime import Runner, claim_due  # noqa: E402
from projects.services import create_project, ensure_default_team  # noqa: E402

SITE = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Health(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def do_GET(self):
        body = b"<html><body>status: ok</body></html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
"""


class LatenessRunner(Runner):
    """The service's runner, noting how late each run started after it was due."""

    def __init__(self, concurrency):
        super().__init__(concurrency)
        self.lateness: list[float] = []

    def tick(self) -> int:
        self.record_finished()
        room = self.concurrency - self.in_flight
        if room <= 0:
            return 0
        now = timezone.now()
        checks = claim_due(room, now)
        for check in checks:
            self.lateness.append((now - check.next_check_at).total_seconds())
            self.in_flight += 1
            self.pool.submit(self._run, check)
        return len(checks)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=150.0)
    parser.add_argument("--concurrency", type=int, default=None)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    UptimeResult.objects.all().delete()
    UptimeCheck.objects.all().delete()
    site = subprocess.Popen([sys.executable, "-c", SITE], stdout=subprocess.PIPE, text=True)
    try:
        port = int(site.stdout.readline())
        settings.TRACEHOUND = {**settings.TRACEHOUND, "MONITOR_ALLOWED_NETWORKS": ["127.0.0.1/32"]}
        project, _ = create_project(ensure_default_team(), f"uptime-bench-{int(time.time())}")
        start = timezone.now() + timedelta(seconds=2)
        UptimeCheck.objects.bulk_create(
            UptimeCheck(
                project=project,
                name=f"check {n}",
                url=f"http://127.0.0.1:{port}/health/{n}",
                keyword="status: ok",
                keyword_mode="present",
                interval_seconds=60,
                next_check_at=start + timedelta(seconds=60 * n / args.checks),
            )
            for n in range(args.checks)
        )
        reference = reference_us()
        runner = LatenessRunner(args.concurrency)
        cpu_before = time.process_time()
        until = time.monotonic() + args.seconds
        while time.monotonic() < until:
            runner.tick()
            time.sleep(0.5)
        runner.drain(15)
        cpu = time.process_time() - cpu_before
        runner.pool.shutdown()
        results = UptimeResult.objects.filter(uptime_check__project=project)
        runs = results.count()
        per_check = list(results.values("uptime_check").annotate(n=Count("id")).values_list("n", flat=True))
        failed = results.filter(ok=False).count()
        minutes = args.seconds / 60
        print(
            f"checks {args.checks}, concurrency {runner.concurrency}, {args.seconds:.0f} s, "
            f"database {connection.vendor}\n"
            f"runs {runs} ({runs / minutes:,.0f} a minute), failed {failed}\n"
            f"lateness s: p50 {percentile(runner.lateness, 0.5):.2f}, p95 {percentile(runner.lateness, 0.95):.2f}, "
            f"p99 {percentile(runner.lateness, 0.99):.2f}, max {max(runner.lateness, default=0):.2f}\n"
            f"runs per check: min {min(per_check, default=0)}, median {statistics.median(per_check or [0])}, "
            f"max {max(per_check, default=0)}\n"
            f"runner CPU per check {cpu / max(runs, 1) * 1000:.2f} ms, reference {reference:.0f} us"
        )
        UptimeCheck.objects.filter(project=project).delete()
        project.delete()
    finally:
        site.terminate()
        site.wait()


if __name__ == "__main__":
    main()
