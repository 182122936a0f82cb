"""The DSN key lookup that ingest does for every request.

Answers come from a small per-process cache so that the hot path costs no query: a key revoked or changed in
this process is dropped at once (signals.py), in other processes within KEY_CACHE_SECONDS (30 s by default).
Misses are cached too, briefly, so that a client hammering with a wrong key costs one query per few seconds.

Every grant read from the database is also copied to the shared cache (Redis in production), for one purpose:
while the database is down, a web process that has not seen a key yet (there are several, each with its own
cache) can still honour it, so its events go to the disk spool instead of being refused.

A failed lookup (or a failed inbox write: `database_failed`) marks the database down for DOWN_SECONDS: meanwhile
expired answers are served as they are and no lookup waits on the database, which may hang rather than refuse;
after that, one lookup tries again.
"""

import logging
import threading
import time
from dataclasses import astuple, dataclass

from django.core.cache import cache
from django.db import DatabaseError

from projects.models import ProjectKey
from projects.options import option
from projects.outage_log import OutageLog

log = logging.getLogger(__name__)
share_outage = OutageLog(log, "keys: sharing key grants through the cache")

NEGATIVE_CACHE_SECONDS = 5
MAX_ENTRIES = 10_000
# How long a shared copy lasts: an outage that outlasts a day of no traffic from a key is not worth covering.
SHARED_GRANT_SECONDS = 24 * 3600
DOWN_SECONDS = 5.0


class DatabaseKnownDown(DatabaseError):
    """A lookup not even tried: the database failed moments ago (`database_failed`)."""


@dataclass(frozen=True)
class KeyGrant:
    """What a valid key entitles: the project it belongs to, and the quotas that apply to its events."""

    project_id: int
    key_id: int
    project_events_per_minute: int | None
    project_events_per_hour: int | None
    key_events_per_minute: int | None
    key_events_per_hour: int | None


_cache: dict[tuple[int, str], tuple[float, KeyGrant | None]] = {}
_lock = threading.Lock()
_down_until = 0.0  # time.monotonic() until which the database counts as down


def database_failed() -> None:
    """The database just failed a query of ingest's: stop waiting on it for a few seconds."""
    global _down_until
    _down_until = time.monotonic() + DOWN_SECONDS


def database_known_down() -> bool:
    return time.monotonic() < _down_until


def project_for_key(project_id: int, public_key: str) -> KeyGrant | None:
    """The grant for an active `public_key` of project `project_id`; None for unknown, revoked or foreign keys."""
    cache_key = (project_id, public_key)
    now = time.monotonic()
    hit = _cache.get(cache_key)
    if hit is not None and hit[0] > now:
        return hit[1]
    if database_known_down():
        raise DatabaseKnownDown("the database failed moments ago")
    try:
        grant = _load(project_id, public_key)
    except DatabaseError:
        database_failed()
        raise
    if grant is not None:
        _share(public_key, grant)
    ttl = option("KEY_CACHE_SECONDS") if grant else NEGATIVE_CACHE_SECONDS
    with _lock:
        if len(_cache) >= MAX_ENTRIES:
            _cache.clear()  # crude but bounded; a full cache only means one query per key again
        _cache[cache_key] = (now + ttl, grant)
    return grant


def cached_grant(project_id: int, public_key: str, stale_ok: bool = False) -> tuple[bool, KeyGrant | None]:
    """(True, the grant) when the answer is cached; (False, None) when only `project_for_key` can tell.

    For async callers: a hit costs no thread hop, and only a miss has to go through a thread to the database.
    `stale_ok` also returns an expired answer: ingest uses it while the database is down, so that clients it
    knew keep being accepted (into its disk spool) rather than refused.
    """
    hit = _cache.get((project_id, public_key))
    if hit is not None and (stale_ok or hit[0] > time.monotonic() or database_known_down()):
        return True, hit[1]
    return False, None


def grant_while_database_is_down(project_id: int, public_key: str) -> tuple[bool, KeyGrant | None]:
    """Like `cached_grant(stale_ok=True)`, falling back on the copy any process shared; for a thread, not the
    event loop (the shared cache is a network round trip)."""
    hit, grant = cached_grant(project_id, public_key, stale_ok=True)
    if hit:
        return hit, grant
    try:
        shared = cache.get(_shared_key(public_key))
    except Exception:  # the shared cache is down too: nothing more to go on
        log.warning("keys: the shared cache is unavailable as well")
        return False, None
    if shared is None or shared[0] != project_id:
        return False, None
    return True, KeyGrant(*shared)


def _shared_key(public_key: str) -> str:
    return f"tracehound:grant:{public_key}"


def _share(public_key: str, grant: KeyGrant) -> None:
    try:
        cache.set(_shared_key(public_key), astuple(grant), timeout=SHARED_GRANT_SECONDS)
    except Exception as error:
        share_outage.failed(error)
        return
    share_outage.succeeded()


def forget_key(public_key: str) -> None:
    with _lock:
        for cache_key in [k for k in _cache if k[1] == public_key]:
            del _cache[cache_key]
    try:
        cache.delete(_shared_key(public_key))
    except Exception:
        log.warning("keys: could not drop a shared key grant", exc_info=True)


def forget_all() -> None:
    global _down_until
    with _lock:
        _cache.clear()
    _down_until = 0.0


def _load(project_id: int, public_key: str) -> KeyGrant | None:
    row = (
        ProjectKey.objects.filter(project_id=project_id, public_key=public_key, is_active=True)
        .select_related("project")
        .first()
    )
    if row is None:
        return None
    return KeyGrant(
        project_id=row.project_id,
        key_id=row.id,
        project_events_per_minute=row.project.events_per_minute,
        project_events_per_hour=row.project.events_per_hour,
        key_events_per_minute=row.events_per_minute,
        key_events_per_hour=row.events_per_hour,
    )
