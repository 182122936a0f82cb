"""The DSN key lookup that ingest does for every request.

Answers come from a small per-process cache so that the hot path costs no query: a key revoked or changed in
this process is dropped at once (signals.py), in other processes within KEY_CACHE_SECONDS (30 s by default).
Misses are cached too, briefly, so that a client hammering with a wrong key costs one query per few seconds.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings

from projects.models import ProjectKey

NEGATIVE_CACHE_SECONDS = 5
MAX_ENTRIES = 10_000


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


def project_for_key(project_id: int, public_key: str) -> KeyGrant | None:
    """The grant for an active `public_key` of project `project_id`; None for unknown, revoked or foreign keys."""
    cache_key = (project_id, public_key)
    now = time.monotonic()
    hit = _cache.get(cache_key)
    if hit is not None and hit[0] > now:
        return hit[1]
    grant = _load(project_id, public_key)
    ttl = settings.TRACEHOUND["KEY_CACHE_SECONDS"] if grant else NEGATIVE_CACHE_SECONDS
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
    if hit is not None and (stale_ok or hit[0] > time.monotonic()):
        return True, hit[1]
    return False, None


def forget_key(public_key: str) -> None:
    with _lock:
        for cache_key in [k for k in _cache if k[1] == public_key]:
            del _cache[cache_key]


def forget_all() -> None:
    with _lock:
        _cache.clear()


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
