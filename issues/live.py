"""Live push: tell the open pages of a project that some of its issues changed.

Message (channel layer group `project.<id>`): {"type": "project.changed", "project_id": int, "issue_ids": [int]}.
Pushes are hints (channel layers deliver at most once; a page refetches on reconnect), so they are coalesced:
at most one publish per project per MIN_INTERVAL seconds in each process, carrying every issue id that changed
meanwhile. With several worker processes that is "about once a second", not exactly.
"""

import asyncio
import logging
import threading
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

MIN_INTERVAL = 1.0
MAX_ISSUE_IDS = 500  # beyond this a page refetches everything anyway

_lock = threading.Lock()
_last_sent: dict[int, float] = {}
_pending: dict[int, set[int]] = {}
_scheduled: dict[int, threading.Timer] = {}
# In the embedded shape the channel layer lives in memory, inside the ASGI server's event loop: publishing from
# the digest thread must go through that loop (asyncio queues are not thread-safe).
_server_loop: asyncio.AbstractEventLoop | None = None


def group_name(project_id: int) -> str:
    return f"project.{project_id}"


def use_server_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    global _server_loop
    _server_loop = loop


def project_changed(project_id: int, issue_ids) -> None:
    """Announce that `issue_ids` of project `project_id` changed; sent after the current transaction commits."""
    ids = set(issue_ids)
    transaction.on_commit(lambda: _coalesce(project_id, ids))


def _coalesce(project_id: int, issue_ids: set[int]) -> None:
    with _lock:
        _pending.setdefault(project_id, set()).update(issue_ids)
        if project_id in _scheduled:
            return  # a publish is already on its way and will carry these ids
        wait = _last_sent.get(project_id, float("-inf")) + MIN_INTERVAL - time.monotonic()
        if wait > 0:
            timer = threading.Timer(wait, _flush, args=(project_id,))
            timer.daemon = True
            _scheduled[project_id] = timer
            timer.start()
            return
        _last_sent[project_id] = time.monotonic()
        ids = _pending.pop(project_id)
    _publish(project_id, ids)


def _flush(project_id: int) -> None:
    with _lock:
        _scheduled.pop(project_id, None)
        ids = _pending.pop(project_id, set())
        _last_sent[project_id] = time.monotonic()
    if ids:
        _publish(project_id, ids)


def _publish(project_id: int, issue_ids: set[int]) -> None:
    message = {"type": "project.changed", "project_id": project_id, "issue_ids": sorted(issue_ids)[:MAX_ISSUE_IDS]}
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        loop = _server_loop
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(layer.group_send(group_name(project_id), message), loop)
        else:
            async_to_sync(layer.group_send)(group_name(project_id), message)
    except Exception:
        # A lost hint costs a page a refresh; it must never fail the digest that committed the change.
        logger.warning("live push for project %s failed", project_id, exc_info=True)
