"""Prometheus metrics at /metrics, for Grafana (docs/grafana-dashboard.json): off unless TRACEHOUND_METRICS_TOKEN is
set, then only for requests bearing it (`Authorization: Bearer <token>`).

Several processes count: uvicorn's workers, Celery's digest and notify workers, beat. prometheus-client's
multiprocess mode has each process add to memory-mapped files of its own under the data folder
(`TRACEHOUND_DATA_DIR/metrics/<host>/`, set in config/settings.py before the library is imported), and a scrape
adds up every file of every host folder. Chosen over counters kept in Redis: an increment is a write to local
memory (about a microsecond, measured in bench/README.md, Metrics), where Redis would add a network round trip to
every ingest request, or a batching thread of our own; and it needs no Redis in the embedded shape. The price: every
process must see the same data folder (compose.yaml mounts one volume into all of them); processes on hosts that do
not share it are scraped each on its own. The host folder keeps processes of different containers apart, whose
process ids repeat. Only counters and histograms are kept in files: a file of a process gone stays in the sum, which
is right for counts. What is a state rather than a count (the backlog, heartbeats) is read from the database at
each scrape instead.
"""

import asyncio
import hmac
import time
from datetime import UTC, datetime
from pathlib import Path

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.db import connections
from django.db.models import Count, Min, Q
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from config.models import Heartbeat
from config.status import monitor_states
from issues.models import InboxItem

ui_duration = Histogram(
    "tracehound_ui_request_duration_seconds",
    "Requests to the UI, the API and the admin, from the first middleware to the response.",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def metrics_dir() -> Path:
    return Path(settings.TRACEHOUND["DATA_DIR"]) / "metrics"


class SharedFilesCollector(Collector):
    """The counters and histograms of every process of every host folder, added up."""

    def collect(self):
        return MultiProcessCollector.merge(sorted(str(path) for path in metrics_dir().glob("*/*.db")), accumulate=True)


class DatabaseCollector(Collector):
    """States read at scrape time: what waits for digest, and how long ago each kind of worker was heard of."""

    def collect(self):
        pending = GaugeMetricFamily("tracehound_inbox_pending_events", "Events waiting for digest.", labels=["project"])
        aside = GaugeMetricFamily(
            "tracehound_inbox_set_aside_events", "Events set aside after failing digest.", labels=["project"]
        )
        oldest = GaugeMetricFamily("tracehound_inbox_oldest_pending_seconds", "Age of the oldest event waiting.")
        heard = GaugeMetricFamily(
            "tracehound_heartbeat_age_seconds", "Since the newest heartbeat of each role's processes.", labels=["role"]
        )
        monitored = GaugeMetricFamily(
            "tracehound_monitors", "Cron monitors and uptime checks by state.", labels=["project", "state"]
        )
        now = datetime.now(UTC)
        try:
            rows = (
                InboxItem.objects.filter(item_type=InboxItem.ItemType.EVENT)
                .values("project_id")
                .annotate(
                    pending_count=Count("id", filter=Q(set_aside=False)),
                    set_aside_count=Count("id", filter=Q(set_aside=True)),
                    oldest_pending=Min("received_at", filter=Q(set_aside=False)),
                )
            )
            oldest_received = None
            for row in rows:
                pending.add_metric([str(row["project_id"])], row["pending_count"])
                aside.add_metric([str(row["project_id"])], row["set_aside_count"])
                if row["oldest_pending"] and (oldest_received is None or row["oldest_pending"] < oldest_received):
                    oldest_received = row["oldest_pending"]
            oldest.add_metric([], (now - oldest_received).total_seconds() if oldest_received else 0)
            for role in Heartbeat.Role.values:
                seen = Heartbeat.objects.filter(role=role).order_by("-seen_at").values_list("seen_at", flat=True)[:1]
                if seen:
                    heard.add_metric([role], (now - seen[0]).total_seconds())
            for project_id, by_state in monitor_states().items():
                for state, count in by_state.items():
                    monitored.add_metric([str(project_id), state], count)
            up = 1
        except Exception:  # the database is away: the scrape still answers, with the counts, and says so
            up = 0
        finally:
            connections.close_all()
        yield GaugeMetricFamily("tracehound_metrics_database_up", "1 if the scrape could read the database.", up)
        if up:
            yield from (pending, aside, oldest, heard, monitored)


def exposition() -> bytes:
    """The text format of every metric: the processes' shared files, or this process alone when it was started
    without them (then the library counts in memory: tests, a process started before its settings)."""
    registry = CollectorRegistry()
    registry.register(DatabaseCollector())
    local = b"" if settings.PROMETHEUS_MULTIPROCESS else generate_latest(REGISTRY)
    if settings.PROMETHEUS_MULTIPROCESS:
        registry.register(SharedFilesCollector())
    return local + generate_latest(registry)


def authorised(scope) -> bool:
    token = settings.TRACEHOUND["METRICS_TOKEN"]
    given = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


async def endpoint(scope, receive, send) -> None:
    """/metrics, answered before Django like the probes (config/probes.py): Prometheus scrapes by address."""
    if not settings.TRACEHOUND["METRICS_TOKEN"]:
        status, body, headers = 404, b"not found", []
    elif not authorised(scope):
        status, body, headers = 401, b"bearer token required", [(b"www-authenticate", b'Bearer realm="metrics"')]
    else:
        body = await asyncio.get_running_loop().run_in_executor(None, exposition)
        status, headers = 200, []
    content_type = b"text/plain; version=0.0.4; charset=utf-8" if status == 200 else b"text/plain"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                        (b"cache-control", b"no-store"), *headers],
        }
    )  # fmt: skip
    await send({"type": "http.response.body", "body": body})


class RequestDurationMiddleware:
    """Times every request Django serves (ingest has its own: ingest/metrics.py), as "api" under /api/, "admin"
    under /admin/ and "page" otherwise: three values, never the path."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    @staticmethod
    def _kind(path: str) -> str:
        return "api" if path.startswith("/api/") else "admin" if path.startswith("/admin/") else "page"

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        started = time.perf_counter()
        try:
            return self.get_response(request)
        finally:
            ui_duration.labels(self._kind(request.path)).observe(time.perf_counter() - started)

    async def _acall(self, request):
        started = time.perf_counter()
        try:
            return await self.get_response(request)
        finally:
            ui_duration.labels(self._kind(request.path)).observe(time.perf_counter() - started)
