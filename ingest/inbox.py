"""Durable accept: the writer thread that puts accepted items in the inbox table, in group commits.

Requests hand their rows to `InboxWriter.submit` and wait for the answer; the writer thread takes everything
waiting, commits it with one multi-row INSERT (its own transaction: one round trip on PostgreSQL), tells digest
(`DigestSignal`, at most every SIGNAL_SECONDS) and only then wakes the requests (which answer 200), one wake-up
per batch. While a commit waits for PostgreSQL's WAL flush, the next requests queue up, and requests answered
together are waited for a moment (`submit`), so batches grow with the load: one commit carries several events,
which is what lets a process accept well over a thousand a second.

One thread per process, on PostgreSQL too. Two threads (one inserting while the other waits for its commit)
measured better while the request path was heavier; since it got lighter, one thread costs 0.78 ms of process CPU
per event against 0.96 for two, and accepts 1,400 events/s in-process against 880 (concurrency 8): larger batches,
and no second thread contending for the interpreter. (SQLite allows one writer at a time anyway.) More throughput
comes from more server processes, each with its own writer (bench/README.md, Ingest).

If the database refuses the batch (down, locked, out of connections), the same rows are written to the disk spool
and the requests still answer 200; replay runs in the writer thread every few seconds and in
`manage.py replay_spool`. Only when the spool cannot be written either do requests answer 503. Duplicate
(project, type, event_id) rows are ignored by the insert, so a resent event, or a batch that was both committed and
spooled, is stored once.

The writer thread also flushes outcome counts, syncs quota counts and replays the spool, so the request path
itself does no I/O."""

import asyncio
import contextlib
import logging
import threading
import time
from collections import defaultdict

import psycopg
from django.db import DatabaseError, connection, transaction

from ingest import outcomes, spool
from ingest.quotas import gate
from ingest.rows import InboxRow
from issues import handoff
from issues.models import InboxItem
from projects import keys
from projects.outage_log import OutageLog

log = logging.getLogger(__name__)
# One line when the database starts refusing, then a count now and then (projects/outage_log.py).
inbox_outage = OutageLog(log, "ingest: writing accepted events to the inbox (they go to the disk spool meanwhile)")

MAX_BATCH_ROWS = 500
TICK_SECONDS = 0.25
OUTCOME_FLUSH_SECONDS = 1.0
SIGNAL_SECONDS = 0.2
# How long rows wait on the event loop for the other requests expected in their commit (InboxWriter.submit).
COMMIT_DELAY_SECONDS = 0.002


INSERT_HEAD = (
    f"INSERT INTO {InboxItem._meta.db_table} "
    "(project_id, item_type, event_id, received_at, payload, attempts, set_aside, last_error)"
)
INSERT_TAIL = "ON CONFLICT (project_id, item_type, event_id) DO NOTHING"


def _insert(rows: list[InboxRow]) -> None:
    """One INSERT for the whole batch, in one transaction, duplicates ignored.

    Postgres: one statement whatever the number of rows, one array parameter per column (unnested), sent apart
    from the SQL and in binary. The ORM's `bulk_create` cost 0.7-1.5 ms per batch of 8, most of it building the
    statement and inlining the payloads as hex text (Django binds parameters on the client side); this costs
    0.09 ms per event in batches of 3-4 (in-process, concurrency 8). SQLite gets one executemany through Django's
    connection: it is in-process, and a statement per row costs nothing there. The columns Django would fill from
    the model's defaults (attempts, set_aside, last_error) are written out here.
    """
    if connection.vendor == "postgresql":
        # No BEGIN/COMMIT around it: in autocommit mode one statement is one transaction, committed before the
        # answer comes back, so a batch costs one round trip, not three.
        columns = [
            [row.project_id for row in rows],
            [row.item_type for row in rows],
            [row.event_id for row in rows],
            [row.received_at for row in rows],
            [row.payload for row in rows],
        ]
        connection.ensure_connection()
        # Django's error classes (DatabaseError, IntegrityError) for what psycopg raises, as its own cursors do.
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                f"{INSERT_HEAD} SELECT *, 0, false, '' FROM unnest(%b::bigint[], %b::text[], %b::uuid[], "
                f"%b::timestamptz[], %b::bytea[]) {INSERT_TAIL}",
                columns,
                # Prepared once per connection: parsing and planning the statement for every commit cost the
                # backend about a third of its CPU per row in commits of three (146 against 101 us per row).
                prepare=True,
            )
    else:
        adapt = connection.ops.adapt_datetimefield_value
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                f"{INSERT_HEAD} VALUES (%s, %s, %s, %s, %s, 0, false, '') {INSERT_TAIL}",
                [
                    (row.project_id, row.item_type, row.event_id.hex, adapt(row.received_at), row.payload)
                    for row in rows
                ],
            )


def insert_rows(rows: list[InboxRow]) -> None:
    """Commit `rows` to the inbox (duplicates ignored), then tell digest. (Rows of a project deleted meanwhile are
    inserted too, and dropped by digest: the inbox has no foreign key, see InboxItem.project.)"""
    _insert(rows)
    digest_signal.events_committed({row.project_id for row in rows})


class DigestSignal:
    """Tells digest that a project's events are committed, at most once per SIGNAL_SECONDS per project.

    A signal costs a cache round trip in production (`issues.handoff`): measured at 0.29 ms per event when every
    group commit sent one, a fifth of the whole request. Digest takes everything pending once woken, so one
    signal per interval loses nothing; a project whose signal was held back is signalled by the writer
    thread's housekeeping (every TICK_SECONDS at most), well within the live budget of 2 s.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._last_sent: dict[int, float] = {}
        self._held: set[int] = set()

    def events_committed(self, project_ids: set[int]) -> None:
        now = time.monotonic()
        with self._lock:
            due = {pid for pid in project_ids if now - self._last_sent.get(pid, -SIGNAL_SECONDS) >= SIGNAL_SECONDS}
            self._held |= project_ids - due
            self._held -= due
            self._last_sent.update(dict.fromkeys(due, now))
        for project_id in due:
            handoff.events_accepted(project_id)

    def send_held(self) -> None:
        with self._lock:
            held, self._held = self._held, set()
        if held:
            self.events_committed(held)


digest_signal = DigestSignal()


class InboxWriter:
    def __init__(self):
        self._condition = threading.Condition()
        self._waiting: list[tuple[list[InboxRow], asyncio.Future]] = []
        # Kept on the event loop (a server process runs one), for group commits (see submit): the requests
        # submitted and not yet handed to the thread, how many are submitted and not yet answered, and the most
        # that were at once lately.
        self._forming: list[tuple[list[InboxRow], asyncio.Future]] = []
        self._hand_over_timer: asyncio.TimerHandle | None = None
        self._outstanding = 0
        self._expected = 1
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._last_flush = 0.0

    def submit(self, rows: list[InboxRow]) -> asyncio.Future:
        """A future of the running event loop that becomes True once `rows` are committed or spooled, False if
        neither was possible. A caller that stops waiting cancels it; the rows are still written.

        Group commit, with a short wait. A commit costs PostgreSQL about 0.2 ms of CPU and this thread 0.1 ms
        whatever its size, a row only a quarter of that. Clients on keep-alive connections send their next event
        as soon as the last is answered, but the loop reads them one after the other: handed over as they came,
        the first would be committed alone and the others in the next commit, again and again. So rows wait on
        the loop until as many requests are forming as were outstanding (submitted, not yet answered) at once
        lately, or for COMMIT_DELAY_SECONDS; a wait that runs out lowers that number to what is outstanding then.
        A lone client never waits. Measured at concurrency 8: about 3 requests per commit instead of 1.1-2.1,
        and 15-30% less CPU per event in the server and in PostgreSQL (bench/README.md, Ingest)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._forming.append((rows, future))
        self._outstanding += 1
        self._expected = max(self._expected, self._outstanding)
        if len(self._forming) >= self._expected:
            self._hand_over()
        elif self._hand_over_timer is None:
            self._hand_over_timer = loop.call_later(COMMIT_DELAY_SECONDS, self._hand_over_late)
        return future

    def _hand_over_late(self) -> None:
        self._hand_over_timer = None
        self._expected = max(1, self._outstanding)
        self._hand_over()

    def _answered(self, futures: list[asyncio.Future], ok: bool) -> None:
        self._outstanding -= len(futures)
        for future in futures:
            if not future.done():  # done: cancelled by a request that stopped waiting (and spooled its rows itself)
                future.set_result(ok)

    def _hand_over(self) -> None:
        if self._hand_over_timer is not None:
            self._hand_over_timer.cancel()
            self._hand_over_timer = None
        forming, self._forming = self._forming, []
        with self._condition:
            self._start_locked()
            self._waiting.extend(forming)
            self._condition.notify()

    def _start_locked(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="tracehound-inbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish what is waiting, flush counts, close the database connections (tests, shutdown)."""
        with self._condition:
            thread = self._thread
            self._stopping = True
            self._condition.notify_all()
        if thread is not None:
            thread.join(timeout=30)
        self._thread = None

    def _take(self) -> list[tuple[list[InboxRow], asyncio.Future]]:
        with self._condition:
            if not self._waiting and not self._stopping:
                self._condition.wait(TICK_SECONDS)
            taken, total = [], 0
            while self._waiting and total < MAX_BATCH_ROWS:
                rows, future = self._waiting.pop(0)
                taken.append((rows, future))
                total += len(rows)
            return taken

    def _run(self) -> None:
        try:
            while True:
                batch = self._take()
                if batch:
                    self._write(batch)
                try:
                    self._housekeeping()
                except Exception:  # the thread must outlive any one failure: requests depend on it
                    log.exception("ingest: inbox writer housekeeping failed")
                with self._condition:
                    if self._stopping and not self._waiting:
                        break
            self._flush_outcomes()
        finally:
            connection.close()

    def _write(self, batch: list[tuple[list[InboxRow], asyncio.Future]]) -> None:
        rows = [row for rows, _ in batch for row in rows]
        ok = False
        try:
            insert_rows(rows)
            ok = True
            inbox_outage.succeeded()
        except DatabaseError as error:
            inbox_outage.failed(error)
            keys.database_failed()  # key lookups stop waiting on it for a while too
            self._drop_connection()
            ok = self._spool(rows)
        except Exception:
            log.exception("ingest: unexpected failure writing the inbox; writing to the disk spool")
            ok = self._spool(rows)
        finally:
            # Every waiting request gets its answer, whatever happened above: one wake-up per event loop for the
            # whole batch (a system call and a pass of the loop each), not one per request.
            by_loop = defaultdict(list)
            for _, future in batch:
                by_loop[future.get_loop()].append(future)
            for loop, futures in by_loop.items():
                with contextlib.suppress(RuntimeError):  # that loop has closed: nobody is waiting any more
                    loop.call_soon_threadsafe(self._answered, futures, ok)

    @staticmethod
    def _spool(rows: list[InboxRow]) -> bool:
        try:
            return spool.spool_rows(rows)
        except Exception:
            log.exception("ingest: the disk spool failed")
            return False

    def _housekeeping(self) -> None:
        gate.sync_if_due()
        digest_signal.send_held()
        now = time.monotonic()
        if now - self._last_flush >= OUTCOME_FLUSH_SECONDS:
            self._flush_outcomes()

    def _flush_outcomes(self) -> None:
        self._last_flush = time.monotonic()
        try:
            outcomes.flush()
        except DatabaseError:
            self._drop_connection()
        except Exception:
            log.exception("ingest: outcome counts could not be saved")

    @staticmethod
    def _drop_connection() -> None:
        # The next batch opens a fresh connection instead of reusing one the database may have dropped.
        with contextlib.suppress(DatabaseError):
            connection.close()


writer = InboxWriter()
