"""ASGI entry point: HTTP through Django, websockets through Channels with session auth and origin checks."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()  # before importing anything that touches models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config import metrics, probes  # noqa: E402
from config.heartbeats import HeartbeatWriter  # noqa: E402
from config.models import Heartbeat  # noqa: E402
from frontend.routing import websocket_urlpatterns  # noqa: E402
from ingest.endpoint import application as ingest_app  # noqa: E402
from ingest.endpoint import is_ingest_path  # noqa: E402
from ingest.replayer import replayer  # noqa: E402
from issues.runner import (  # noqa: E402
    digest_thread,
    in_process_digest_enabled,
    issues_sweep_thread,
    retention_thread,
    start_on_first_request,
)
from monitors.runner import in_process_monitors_enabled, monitors_thread, uptime_thread  # noqa: E402
from notify.runner import in_process_notify_enabled, notify_thread  # noqa: E402


async def http_app(scope, receive, send):
    # The Sentry ingest endpoints skip Django's request stack (it costs several times the handler itself, see
    # ingest/endpoint.py and bench/README.md); every other path goes through Django as usual.
    if is_ingest_path(scope["path"]):
        await ingest_app(scope, receive, send)
    elif probes.is_probe_path(scope["path"]):
        await probes.application(scope, receive, send)  # any Host, never redirected: config/probes.py
    elif scope["path"] == "/metrics":
        await metrics.endpoint(scope, receive, send)  # the same, with a bearer token: config/metrics.py
    else:
        await django_asgi_app(scope, receive, send)


# Embedded shape: the first HTTP request starts the in-process digest, issues sweep, retention, notify and monitors
# threads (production: Celery and beat). Each round digest and notify finish marks their heartbeat, which the health
# checks and the status page read.
digest_thread.heartbeat = HeartbeatWriter(Heartbeat.Role.DIGEST).mark
notify_thread.heartbeat = HeartbeatWriter(Heartbeat.Role.NOTIFY).mark
background = [
    thread
    for thread, enabled in (
        (digest_thread, in_process_digest_enabled()),
        (issues_sweep_thread, in_process_digest_enabled()),
        (retention_thread, in_process_digest_enabled()),
        (notify_thread, in_process_notify_enabled()),
        (monitors_thread, in_process_monitors_enabled()),
        (uptime_thread, in_process_monitors_enabled()),
    )
    if enabled
]
routed = start_on_first_request(
    ProtocolTypeRouter(
        {
            "http": http_app,
            "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    ),
    [*background, replayer],
)


async def application(scope, receive, send):
    """The routed application, plus the lifespan protocol (the production server speaks it; runserver does not):
    a web process replays the disk spool from its start, not from its first request, so events spooled before a
    restart reach the inbox even if no client comes back."""
    if scope["type"] != "lifespan":
        return await routed(scope, receive, send)
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            replayer.start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            replayer.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return
