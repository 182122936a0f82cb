"""The disk spool's replay, apart from the request path: a thread of each web process, started when the process
starts (production: the ASGI lifespan; embedded: `bin/serve` replays once before serving, then the thread starts
with the first request), that moves spooled files into the inbox every few seconds while the database takes them.

Apart from the inbox writer's thread, so that requests go on being committed while a large spool is replayed.
Each file is a batch of up to a few hundred rows, written with one multi-row INSERT, and locked while it is
replayed, so several web processes never replay the same file (ingest/spool.py).
"""

import logging
import threading

from django.db import DatabaseError, close_old_connections, connection

from ingest import spool
from ingest.inbox import insert_rows
from projects import keys
from projects.outage_log import OutageLog

log = logging.getLogger(__name__)

REPLAY_SECONDS = 2.0


class SpoolReplayer:
    def __init__(self):
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._outage = OutageLog(log, "ingest: replaying the disk spool (spooled events wait on disk meanwhile)")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="tracehound-spool-replay", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            while True:
                self.replay_round()
                if self._stopping.wait(REPLAY_SECONDS):
                    return
        finally:
            connection.close()

    def replay_round(self) -> int:
        """Replay what is spooled; the rows replayed (0 when the database is still away)."""
        if not spool.spooled_files():
            return 0
        try:
            close_old_connections()
            replayed = spool.replay(insert_rows)
        except DatabaseError as error:
            self._outage.failed(error)
            keys.database_failed()
            connection.close()  # the next round opens a fresh connection
            return 0
        except Exception:
            log.exception("ingest: spool replay failed")
            return 0
        if replayed:
            log.info("ingest: replayed %d spooled items into the inbox", replayed)
        self._outage.succeeded()
        return replayed


replayer = SpoolReplayer()
