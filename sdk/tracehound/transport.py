"""The background sender: a bounded queue drained by one daemon thread.

The caller's side (``submit``) is a non-blocking ``put_nowait``: when the queue is full the item is
dropped and counted, never waited for. The thread finishes events (context lines, scrubbing,
``before_send``), serialises, gzips and POSTs them with a short timeout. Nothing is retried: a
network error or a 5xx starts a backoff (1 s doubling to 60 s) during which items are dropped and
counted, so a dead or hanging server costs one connection attempt per backoff period, not one per
event. A 429 stops sending for the advertised time, per category (``X-Sentry-Rate-Limits``) or for
everything (``Retry-After``).
"""

from __future__ import annotations

import gzip
import http.client
import os
import queue
import ssl
import threading
import time
import weakref
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from . import internal_errors
from .serialize import to_json_bytes

DEFAULT_RETRY_AFTER = 60.0
MAX_BACKOFF = 60.0
MAX_RESPONSE_READ = 64 * 1024

# Threads that must never report through the SDK (the sender itself); the logging handler checks this.
quiet_threads: set = set()


class Item:
    """Something to send. ``build`` runs on the background thread and returns a list of
    ``(item_type, payload_dict)`` or ``None`` to drop."""

    category = "error"
    event_id = None

    def build(self):
        raise NotImplementedError


def _iso_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_envelope(dsn, event_id, items) -> bytes:
    header = {"sent_at": _iso_now(), "dsn": dsn.raw}
    if event_id:
        header["event_id"] = event_id
    chunks = [to_json_bytes(header)]
    for item_type, payload in items:
        body = payload if isinstance(payload, bytes) else to_json_bytes(payload)
        chunks.append(to_json_bytes({"type": item_type, "length": len(body)}))
        chunks.append(body)
    return b"\n".join(chunks) + b"\n"


def parse_retry_after(value, now: float) -> float:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return DEFAULT_RETRY_AFTER
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except Exception:
        return DEFAULT_RETRY_AFTER


def parse_rate_limits(header: str) -> list:
    """``retry_after:categories:scope[:reason[:namespaces]]`` comma-separated -> [(seconds, categories)].

    ``categories`` is a tuple of names, or ``(None,)`` when empty, meaning every category."""
    limits = []
    for entry in header.split(","):
        entry = entry.strip()
        if not entry:
            continue
        fields = entry.split(":")
        try:
            seconds = float(fields[0])
        except ValueError:
            continue
        names = fields[1] if len(fields) > 1 else ""
        categories = tuple(c.strip() for c in names.split(";") if c.strip()) or (None,)
        limits.append((seconds, categories))
    return limits


class _Flush:
    __slots__ = ("done",)

    def __init__(self):
        self.done = threading.Event()


_STOP = object()


class Transport:
    def __init__(self, dsn, *, queue_size: int = 100, timeout: float = 2.0, ssl_context=None):
        self.dsn = dsn
        self.queue_size = queue_size
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.sent = 0
        self.dropped: dict = {}
        self.last_error = None
        self.last_status = None
        self._disabled_until: dict = {}  # category (None = all) -> monotonic deadline
        self._backoff_until = 0.0
        self._failures = 0
        self._conn = None
        self._lock = threading.Lock()
        self._closed = False
        self._init_thread_state()
        ref = weakref.ref(self)

        def _after_fork_in_child():
            transport = ref()
            if transport is not None:
                transport._init_thread_state()

        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork_in_child)

    # ----------------------------------------------------------------- caller's side
    def _init_thread_state(self):
        """Fresh queue and no thread: called at start and in a forked child, where the parent's
        thread does not exist. The thread starts on the first submit."""
        self._pid = os.getpid()
        self._queue = queue.Queue(self.queue_size)
        self._count_lock = threading.Lock()  # a lock held by a thread that does not exist in the child
        self._thread = None
        self._conn = None
        self._lock = threading.Lock()

    def _ensure_thread(self) -> bool:
        if self._pid != os.getpid():
            self._init_thread_state()
        thread = self._thread
        if thread is not None and thread.is_alive():
            return True
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return True
            if self._closed:
                return False
            thread = threading.Thread(target=self._run, name="tracehound.sender", daemon=True)
            try:
                thread.start()
            except RuntimeError:  # interpreter shutting down
                return False
            self._thread = thread
        return True

    def count_drop(self, reason: str, n: int = 1) -> None:
        # Callers and the sender both count; the lock keeps concurrent increments from being lost.
        with self._count_lock:
            self.dropped[reason] = self.dropped.get(reason, 0) + n

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def is_rate_limited(self, category: str) -> bool:
        limits = self._disabled_until
        if not limits:
            return False
        now = time.monotonic()
        return limits.get(category, 0) > now or limits.get(None, 0) > now

    def submit(self, item: Item) -> bool:
        """Queue ``item`` without blocking; False (and counted) when it was dropped."""
        if not self._ensure_thread():
            self.count_drop("shutdown")
            return False
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.count_drop("queue_full")
            return False
        return True

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait up to ``timeout`` seconds for everything queued so far to be sent (or dropped)."""
        if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
            return self._queue.empty()
        deadline = time.monotonic() + max(0.0, timeout)
        marker = _Flush()
        try:
            self._queue.put(marker, timeout=max(0.0, timeout))
        except queue.Full:
            return False
        return marker.done.wait(max(0.0, deadline - time.monotonic()))

    def close(self, timeout: float = 2.0) -> bool:
        flushed = self.flush(timeout)
        self._closed = True
        try:
            self._queue.put_nowait(_STOP)
        except queue.Full:
            pass
        return flushed

    # ----------------------------------------------------------------- background thread
    def _run(self):
        quiet_threads.add(threading.get_ident())
        try:
            q = self._queue
            while True:
                item = q.get()
                if item is _STOP:
                    break
                if type(item) is _Flush:
                    item.done.set()
                    continue
                try:
                    self._process(item)
                except Exception as exc:
                    self.last_error = repr(exc)
                    self.count_drop("internal_error")
                    internal_errors.record("transport", exc)
                del item
        except BaseException:
            # Interpreter teardown can pull modules out from under a daemon thread: end quietly.
            pass
        finally:
            self._close_conn()
            try:
                quiet_threads.discard(threading.get_ident())
            except BaseException:
                pass

    def _process(self, item: Item) -> None:
        if self.is_rate_limited(item.category):
            self.count_drop("rate_limited")
            return
        if time.monotonic() < self._backoff_until:
            self.count_drop("backoff")
            return
        parts = item.build()
        if not parts:
            self.count_drop(getattr(item, "drop_reason", None) or "before_send")
            return
        body = make_envelope(self.dsn, item.event_id, parts)
        status, headers = self._post(body)
        self._handle_response(status, headers)

    def _handle_response(self, status, headers) -> None:
        self.last_status = status
        now = time.monotonic()
        if headers is not None:
            limits = headers.get("X-Sentry-Rate-Limits")
            if limits:
                for seconds, categories in parse_rate_limits(limits):
                    for category in categories:
                        deadline = now + seconds
                        if self._disabled_until.get(category, 0) < deadline:
                            self._disabled_until[category] = deadline
            elif status == 429:
                self._disabled_until[None] = now + parse_retry_after(headers.get("Retry-After"), time.time())
        if status is None or status >= 500:
            self._failures += 1
            self._backoff_until = now + min(MAX_BACKOFF, 2.0 ** (self._failures - 1))
            self.count_drop("network_error" if status is None else "server_error")
        elif status == 429:
            self.count_drop("rate_limited")
        elif status >= 400:
            self._failures = 0
            self.count_drop("rejected")
        else:
            self._failures = 0
            self.sent += 1

    # ----------------------------------------------------------------- HTTP
    def _connect(self):
        dsn = self.dsn
        if dsn.scheme == "https":
            context = self.ssl_context or ssl.create_default_context()
            return http.client.HTTPSConnection(dsn.host, dsn.port, timeout=self.timeout, context=context)
        return http.client.HTTPConnection(dsn.host, dsn.port, timeout=self.timeout)

    def _close_conn(self):
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def headers(self, body_length: int) -> dict:
        return {
            "Content-Type": "application/x-sentry-envelope",
            "Content-Encoding": "gzip",
            "Content-Length": str(body_length),
            "X-Sentry-Auth": self.dsn.auth_header(),
            "User-Agent": "tracehound",
        }

    def _post(self, body: bytes):
        """POST on the thread's kept-alive connection; ``(None, None)`` on any network error."""
        payload = gzip.compress(body, compresslevel=6)
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        try:
            status, headers, close = self._exchange(conn, payload)
        except Exception as exc:
            self.last_error = repr(exc)
            self._close_conn()
            return None, None
        if close:
            self._close_conn()
        return status, headers

    def _exchange(self, conn, payload: bytes):
        conn.request("POST", self.dsn.envelope_path, payload, self.headers(len(payload)))
        response = conn.getresponse()
        response.read(MAX_RESPONSE_READ)
        close = response.will_close or not response.isclosed()
        return response.status, response.headers, close

    def send_now(self, item: Item):
        """Send one item synchronously on a new connection, bypassing the queue (for the test command).

        Returns ``(status or None, detail)``."""
        parts = item.build()
        if not parts:
            return None, "dropped by before_send"
        body = make_envelope(self.dsn, item.event_id, parts)
        conn = self._connect()
        try:
            status, headers, _ = self._exchange(conn, gzip.compress(body, compresslevel=6))
        except Exception as exc:
            return None, "%s: %s" % (type(exc).__name__, exc)
        finally:
            conn.close()
        return status, ""
