"""Heartbeats of the background processes: digest and notify workers (Celery or the embedded threads) and beat.

A process marks itself alive in memory (`HeartbeatWriter.mark`, an assignment: cheap enough for every round of a
loop), and a daemon thread of its own writes the latest mark to the Heartbeat table every WRITE_SECONDS. The write
is off the marking loop on purpose: beat's loop or a worker must never wait on a database that hangs. A loop that
stops marking (wedged, or its process gone) leaves its row's `seen_at` behind, which the health check notices.
The database, not the cache, holds them: it is the one store every process of both shapes shares (the embedded
default's cache is in-memory, per process, where `manage.py healthcheck` could not see it).
"""

import logging
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

from django.db import close_old_connections, connection

from config.models import Heartbeat
from projects.outage_log import OutageLog

log = logging.getLogger(__name__)

WRITE_SECONDS = 10.0
# Rows of processes gone for longer than this are deleted when a process starts writing (restarts leave rows).
FORGET_AFTER = timedelta(days=1)


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class HeartbeatWriter:
    """`marks_itself`: the writer thread marks too, so the heartbeat says the process runs (Celery worker
    processes, whose loop is Celery's); otherwise only `mark()` does (a loop that should prove it turns)."""

    def __init__(self, role: str, process: str | None = None, marks_itself: bool = False,
                 write_seconds: float = WRITE_SECONDS):  # fmt: skip
        self.role = role
        self.process = process
        self.marks_itself = marks_itself
        self.write_seconds = write_seconds
        self.started_at = datetime.now(UTC)
        self._marked_at: datetime | None = None
        self._written: datetime | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._outage = OutageLog(log, f"heartbeat: recording {role}")

    def mark(self) -> None:
        """Alive now; written within `write_seconds` (the writer thread starts on the first mark)."""
        self._marked_at = datetime.now(UTC)
        if self._thread is None:
            self.start()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"heartbeat-{self.role}", daemon=True)
                self._thread.start()

    def write(self) -> None:
        """Write the latest mark now (the writer thread does this every `write_seconds`)."""
        marked_at = self._marked_at
        if marked_at is None or marked_at == self._written:
            return
        Heartbeat.objects.update_or_create(
            role=self.role,
            process=self.process or this_process(),
            defaults={"seen_at": marked_at},
            create_defaults={"seen_at": marked_at, "started_at": self.started_at},
        )
        self._written = marked_at

    def _run(self) -> None:
        try:
            Heartbeat.objects.filter(seen_at__lt=datetime.now(UTC) - FORGET_AFTER).delete()
        except Exception:
            log.warning("heartbeat: could not forget old rows", exc_info=True)
        while True:
            if self.marks_itself:
                self._marked_at = datetime.now(UTC)
            try:
                close_old_connections()
                self.write()
                self._outage.succeeded()
            except Exception as error:
                # The database is away: the row falls behind, which is what the health check should see.
                self._outage.failed(error)
                connection.close()
            time.sleep(self.write_seconds)
