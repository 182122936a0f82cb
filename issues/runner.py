"""The embedded shape's background work: threads in the web process instead of Celery workers and beat.

Digest runs in one, woken by `handoff.events_accepted`; notify runs in another (notify/runner.py); retention's
sweep in a third. Why threads
and not eager Celery: an eager task would digest inside the ingest request. The digest thread also owns the
in-memory channel layer problem: it publishes live pushes through the server's event loop.

They are started by the ASGI application on its first HTTP request (`start_on_first_request`), so `runserver`
and daphne run them, while management commands and unit tests, which never serve a request through that
application, do not. Besides wake-ups each looks every few seconds, which also picks up what was left from before
a restart.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from issues import retention
from issues.digest import digest_until_empty, pending_events
from issues.live import use_server_loop
from issues.sweep import SWEEP_SECONDS, sweep_issues
from projects.options import option
from projects.outage_log import OutageLog

logger = logging.getLogger(__name__)

ERROR_PAUSE_SECONDS = 2.0


class BackgroundThread:
    """A daemon thread that runs `work()` when woken, at least every `sweep_seconds`, and at most once every
    `min_interval_seconds` (wake-ups that come sooner are gathered into the next round)."""

    def __init__(self, name: str, work: Callable[[], object], sweep_seconds: float, min_interval_seconds: float = 0):
        self.name = name
        self.work = work
        self.sweep_seconds = sweep_seconds
        self.min_interval_seconds = min_interval_seconds
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._outage = OutageLog(logger, f"{name}: a round")
        # Called after every round that succeeded (and by work that runs long, see digest_round): the process wires
        # in its heartbeat (config/asgi.py).
        self.heartbeat: Callable[[], object] | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def beat(self) -> None:
        """The thread's work is moving (its heartbeat, where one is wired in)."""
        if self.heartbeat is not None:
            self.heartbeat()

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
            self._wake.wait(timeout=self.sweep_seconds)
            self._wake.clear()
            if self._stopping:
                close_old_connections()
                connection.close()
                return
            try:
                close_old_connections()
                started = time.monotonic()
                self.work()
                self._outage.succeeded()
                self.beat()
                if not self._stopping:
                    time.sleep(max(0.0, started + self.min_interval_seconds - time.monotonic()))
            except DatabaseError as error:
                # The database is away for a while; the work stays pending and the next round retries.
                self._outage.failed(error)
                self._wake.wait(timeout=ERROR_PAUSE_SECONDS)
            except Exception:
                logger.exception("%s: round failed", self.name)
                self._wake.wait(timeout=ERROR_PAUSE_SECONDS)
            finally:
                close_old_connections()


def digest_round() -> None:
    # A plain read first: on SQLite, a digest transaction takes the write lock even when idle.
    if pending_events():
        # A backlog takes one long round of full batches: each of them shows the thread is alive.
        digest_until_empty(on_full_batch=digest_thread.beat)


# Events committed by another process (a second web process, a management command) are seen within a second.
digest_thread = BackgroundThread("tracehound-digest", digest_round, sweep_seconds=1.0)
# Auto-resolve and re-arm (issues/sweep.py), on the digest switch: the same in-process work.
issues_sweep_thread = BackgroundThread("tracehound-issues-sweep", sweep_issues, sweep_seconds=SWEEP_SECONDS)


# Retention's sweep: at start, then every RETENTION_SWEEP_SECONDS (production: beat).
retention_thread = BackgroundThread(
    "tracehound-retention", retention.sweep, sweep_seconds=option("RETENTION_SWEEP_SECONDS")
)


def in_process_digest_enabled() -> bool:
    return settings.CELERY_TASK_ALWAYS_EAGER and option("DIGEST_IN_PROCESS")


def start_on_first_request(application, threads: list[BackgroundThread]):
    """Wrap an ASGI application so that its first HTTP request starts `threads` (embedded shape only)."""
    if not threads:
        return application

    async def app(scope, receive, send):
        if scope["type"] == "http" and not all(thread.running for thread in threads):
            use_server_loop(asyncio.get_running_loop())
            for thread in threads:
                thread.start()
        return await application(scope, receive, send)

    return app
