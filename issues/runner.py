"""The embedded shape's digest: a thread in the web process, woken by `handoff.events_accepted`.

Why a thread and not eager Celery: an eager task would digest inside the ingest request. The thread also owns
the in-memory channel layer problem: it publishes live pushes through the server's event loop.

It is started by the ASGI application on its first HTTP request (`start_on_first_request`), so `runserver` and
daphne run it, while management commands and unit tests, which never serve a request through that application,
do not. Besides wake-ups it looks every SWEEP_SECONDS, which also picks up events left from before a restart.
"""

import asyncio
import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection

from issues.digest import digest_until_empty, pending_events
from issues.live import use_server_loop
from projects.options import option

logger = logging.getLogger(__name__)

# Events committed by another process (a second web process, a management command) are seen within this time.
SWEEP_SECONDS = 1.0
ERROR_PAUSE_SECONDS = 2.0


class DigestThread:
    def __init__(self):
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self._thread = threading.Thread(target=self._run, name="tracehound-digest", daemon=True)
            self._thread.start()
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        """Finish the current round and end the thread (tests, and a server shutting down cleanly)."""
        thread = self._thread
        self._stopping = True
        self.wake()
        if thread is not None:
            thread.join(timeout)
        self._stopping = False

    def _run(self) -> None:
        while True:
            self._wake.wait(timeout=SWEEP_SECONDS)
            self._wake.clear()
            if self._stopping:
                close_old_connections()
                connection.close()
                return
            try:
                close_old_connections()
                # A plain read first: on SQLite, a digest transaction takes the write lock even when idle.
                if pending_events():
                    digest_until_empty()
            except Exception:
                # The database may be away for a moment; the events stay pending and the next round retries.
                logger.exception("digest round failed")
                self._wake.wait(timeout=ERROR_PAUSE_SECONDS)
            finally:
                close_old_connections()


digest_thread = DigestThread()


def in_process_digest_enabled() -> bool:
    return settings.CELERY_TASK_ALWAYS_EAGER and option("DIGEST_IN_PROCESS")


def start_on_first_request(application):
    """Wrap an ASGI application so that its first HTTP request starts the digest thread (embedded shape only)."""
    if not in_process_digest_enabled():
        return application

    async def app(scope, receive, send):
        if scope["type"] == "http" and not digest_thread.running:
            use_server_loop(asyncio.get_running_loop())
            digest_thread.start()
        return await application(scope, receive, send)

    return app
