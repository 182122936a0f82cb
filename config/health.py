"""Tracehound's own health: is each backing service answering, and is the work moving?

Used by `/-/health/` (config/probes.py), `manage.py healthcheck`, `manage.py status` and the status page. Every check
runs in a thread of its own and the caller waits for all of them until one deadline (TRACEHOUND["HEALTH"]
["TIMEOUT_SECONDS"]): a PostgreSQL or Redis that accepts connections and then never answers makes its check fail
with "no answer", instead of holding the caller (a load balancer gives up after a few seconds and would take the
whole service out for one slow dependency). Callers that come while a check runs share its answer; a check still
running past its deadline is reported failing and not started again, so a service that hangs costs one thread per
check, not one per probe.

A check returns a short detail when all is well and raises (any exception, usually `Unhealthy`) when not.
"""

import functools
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from config.celery import app as celery_app
from config.models import Heartbeat
from ingest import spool
from issues.models import InboxItem
from notify.models import Delivery


class Unhealthy(Exception):
    pass


def health_setting(name: str):
    return settings.TRACEHOUND["HEALTH"][name]


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _cache() -> str:
    probe = f"tracehound:health:{uuid.uuid4().hex}"
    cache.set(probe, 1, 5)
    if cache.get(probe) != 1:
        raise Unhealthy("value written was not read back")
    cache.delete(probe)
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _channel_layer() -> str:
    layer = get_channel_layer()

    async def round_trip():
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.probe"})
        message = await layer.receive(channel)
        if message.get("type") != "health.probe":
            raise Unhealthy("message sent was not received")

    async_to_sync(round_trip)()
    return type(layer).__name__


def _broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process (eager)"
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=health_setting("TIMEOUT_SECONDS"))
    return conn.transport_cls


@functools.cache
def _migrations_on_disk() -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Every migration this code has, with those it replaces; read once: a running process's code does not change."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {key: [tuple(r) for r in loader.graph.nodes[key].replaces or ()] for key in loader.graph.nodes}


def _migrations() -> str:
    applied = set(MigrationRecorder(connection).applied_migrations())
    # A squashed migration counts as applied when the ones it replaces were (as Django's loader does).
    missing = sorted(
        f"{app}.{name}"
        for (app, name), replaces in _migrations_on_disk().items()
        if (app, name) not in applied and not (replaces and all(r in applied for r in replaces))
    )
    if missing:
        raise Unhealthy(f"{len(missing)} not applied: {', '.join(missing[:5])}")
    return "all applied"


def oldest_pending_received_at() -> datetime | None:
    # The lowest id is the oldest accepted row (the inbox_pending index gives it at once); a row replayed from the
    # disk spool may be older than it says, by the length of the outage.
    return (
        InboxItem.objects.filter(item_type=InboxItem.ItemType.EVENT, set_aside=False)
        .order_by("id")
        .values_list("received_at", flat=True)
        .first()
    )


def _digest_backlog() -> str:
    oldest = oldest_pending_received_at()
    if oldest is None:
        return "no event pending"
    age = (datetime.now(UTC) - oldest).total_seconds()
    limit = health_setting("DIGEST_BACKLOG_SECONDS")
    if age > limit:
        raise Unhealthy(f"oldest pending event waits for {age:.0f} s (limit {limit} s)")
    return f"oldest pending event waits for {age:.0f} s"


def _heartbeat(role: str) -> str:
    limit = health_setting("HEARTBEAT_STALE_SECONDS")
    latest = Heartbeat.objects.filter(role=role).order_by("-seen_at").values_list("seen_at", flat=True).first()
    if latest is None:
        raise Unhealthy(f"no {role} heartbeat yet")
    age = (datetime.now(UTC) - latest).total_seconds()
    if age > limit:
        raise Unhealthy(f"last {role} heartbeat {age:.0f} s ago (limit {limit} s)")
    alive = Heartbeat.objects.filter(role=role, seen_at__gte=datetime.now(UTC) - timedelta(seconds=limit)).count()
    return f"{alive} alive, last heartbeat {age:.0f} s ago"


def _alert_delivery() -> str:
    limit = health_setting("DELIVERY_STUCK_SECONDS")
    overdue = datetime.now(UTC) - timedelta(seconds=limit)
    # Due and not tried for `limit` seconds, or claimed by a sender whose lease ran out that long ago.
    stuck = (
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lt=overdue).count()
        + Delivery.objects.filter(status=Delivery.Status.SENDING, lease_until__lt=overdue).count()
    )
    if stuck:
        raise Unhealthy(f"{stuck} deliveries overdue by more than {limit} s")
    return "nothing overdue"


def _spool() -> str:
    files = spool.spooled_files()
    if not files:
        return "empty"
    oldest = min(path.stat().st_mtime for path in files)
    age = time.time() - oldest
    limit = health_setting("SPOOL_MAX_AGE_SECONDS")
    if age > limit:
        raise Unhealthy(f"{len(files)} files, the oldest not replayed for {age:.0f} s (limit {limit} s)")
    return f"{len(files)} files draining, oldest {age:.0f} s"


def _disk() -> str:
    free_mb = shutil.disk_usage(settings.TRACEHOUND["DATA_DIR"]).free // 2**20
    minimum = health_setting("MIN_FREE_DISK_MB")
    if free_mb < minimum:
        raise Unhealthy(f"{free_mb} MB free in the data folder (minimum {minimum} MB)")
    return f"{free_mb} MB free"


CHECKS: dict[str, Callable[[], str]] = {
    "database": _database,
    "cache": _cache,
    "channel_layer": _channel_layer,
    "broker": _broker,
    "migrations": _migrations,
    "digest_backlog": _digest_backlog,
    "digest_workers": lambda: _heartbeat(Heartbeat.Role.DIGEST),
    "beat": lambda: _heartbeat(Heartbeat.Role.BEAT),
    "alert_delivery": _alert_delivery,
    "spool": _spool,
    "disk": _disk,
}
SERVICES = ("database", "cache", "channel_layer", "broker")


class _Probe:
    """One run of one check, in a thread of its own; callers that arrive while it runs share its answer."""

    def __init__(self, check: Callable[[], str]):
        self.check = check
        self.started = time.monotonic()
        self.result: dict | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = {"ok": True, "detail": str(self.check())}
        except Unhealthy as error:
            self.result = {"ok": False, "detail": str(error)[:300]}
        except Exception as error:  # any failure of a probe is its answer, not a crash of the caller
            self.result = {"ok": False, "detail": f"{type(error).__name__}: {error}"[:300]}
        finally:
            connections.close_all()  # this thread's own connections: it ends here


# Check name -> its latest probe: one still running is joined by a new caller (two load balancers probing at once
# run each check once), or, past its deadline, reported as hanging without starting another.
_probes: dict[str, _Probe] = {}
_probes_lock = threading.Lock()


def run_checks(names: list[str] | None = None, timeout: float | None = None) -> dict[str, dict]:
    """{name: {"ok": bool, "detail": str}} for the configured checks (or `names`), within `timeout` seconds."""
    names = list(health_setting("CHECKS") if names is None else names)
    timeout = health_setting("TIMEOUT_SECONDS") if timeout is None else timeout
    now = time.monotonic()
    deadline = now + timeout
    probes: dict[str, _Probe] = {}
    with _probes_lock:
        for name in names:
            probe = _probes.get(name)
            if probe is None or not probe.thread.is_alive():
                probe = _probes[name] = _Probe(CHECKS[name])
            probes[name] = probe
    results: dict[str, dict] = {}
    for name, probe in probes.items():
        if probe.thread.is_alive() and probe.started + timeout < now:
            results[name] = {"ok": False, "detail": "an earlier probe is still waiting for an answer"}
            continue
        probe.thread.join(max(0.0, deadline - time.monotonic()))
        result = probe.result
        results[name] = result if result is not None else {"ok": False, "detail": f"no answer within {timeout:g} s"}
    return results


def check_services() -> dict[str, dict]:
    """The backing services only (database, cache, channel layer, broker); never raises."""
    return run_checks(list(SERVICES))
