"""Is each backing service answering? Used by `manage.py status` (and later the health endpoint)."""

import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from config.celery import app as celery_app


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _cache() -> str:
    probe = f"tracehound:health:{uuid.uuid4().hex}"
    cache.set(probe, 1, 5)
    if cache.get(probe) != 1:
        raise RuntimeError("value written was not read back")
    cache.delete(probe)
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _channel_layer() -> str:
    layer = get_channel_layer()

    async def round_trip():
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.probe"})
        message = await layer.receive(channel)
        if message.get("type") != "health.probe":
            raise RuntimeError("message sent was not received")

    async_to_sync(round_trip)()
    return type(layer).__name__


def _broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process (eager)"
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
    return conn.transport_cls


CHECKS = {"database": _database, "cache": _cache, "channel_layer": _channel_layer, "broker": _broker}


def check_services() -> dict[str, dict]:
    """{name: {"ok": bool, "detail": str}} for every backing service; never raises."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = {"ok": True, "detail": str(check())}
        except Exception as error:  # any failure of a probe is the answer, not a crash of the command
            results[name] = {"ok": False, "detail": f"{type(error).__name__}: {error}"[:300]}
    return results
