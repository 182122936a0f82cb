"""The logging handler: ``{"class": "tracehound.Handler", "dsn": ..., "level": "ERROR"}``.

Records at or above the handler's level become events; records below it (down to
``breadcrumb_level``) become breadcrumbs on the current scope. ``emit`` never raises, never does
network I/O (it only queues), and never reports through itself: records from the SDK's own loggers,
from the sender thread, or emitted while the same thread is already inside ``emit`` are ignored.
"""

from __future__ import annotations

import logging
import threading

from . import internal_errors
from .client import client_for, level_name
from .consts import MAX_MESSAGE_LENGTH
from .scope import current_scope
from .serialize import cap_string, safe_repr
from .transport import quiet_threads

IGNORED_LOGGERS = {"tracehound", "urllib3", "requests", "http.client"}
_reentry = threading.local()


def ignore_logger(name: str) -> None:
    """Never turn records of logger ``name`` (or its children) into events or breadcrumbs."""
    IGNORED_LOGGERS.add(name)


def _is_ignored(name: str) -> bool:
    if name in IGNORED_LOGGERS:
        return True
    head = name.split(".", 1)[0]
    if head in IGNORED_LOGGERS:
        return True
    return any(name.startswith(ignored + ".") for ignored in IGNORED_LOGGERS)


class Handler(logging.Handler):
    def __init__(self, dsn=None, level=logging.ERROR, breadcrumb_level=logging.INFO, **options):
        super().__init__()
        self.client = client_for(dsn, options)
        self.breadcrumb_level = None if breadcrumb_level is None else logging._checkLevel(breadcrumb_level)
        self.setLevel(level)
        self.errors = 0
        self._ignored_cache: dict = {}

    def setLevel(self, level) -> None:
        """The level sets where events start; the handler itself also accepts records down to
        ``breadcrumb_level`` so they can be kept as breadcrumbs."""
        self.event_level = logging._checkLevel(level)
        if self.breadcrumb_level is not None and self.breadcrumb_level < self.event_level:
            self.level = self.breadcrumb_level
        else:
            self.level = self.event_level

    def handle(self, record):
        # No handler lock: emit only reads shared state and queues, so threads need not wait on each other.
        rv = self.filter(record)
        if rv:
            if isinstance(rv, logging.LogRecord):
                record = rv
            self.emit(record)
        return rv

    def emit(self, record) -> None:
        if getattr(_reentry, "active", False) or self.client.transport is None:
            return
        _reentry.active = True
        try:
            name = record.name
            ignored = self._ignored_cache.get(name)
            if ignored is None:
                ignored = self._ignored_cache[name] = _is_ignored(name)
                if len(self._ignored_cache) > 10000:
                    self._ignored_cache.clear()
            if ignored or threading.get_ident() in quiet_threads:
                return
            if record.levelno >= self.event_level:
                self.client.capture_log_record(record)
            else:
                add_log_breadcrumb(record)
        except Exception as exc:
            self.errors += 1
            internal_errors.record("handler.emit", exc)
        finally:
            _reentry.active = False


def add_log_breadcrumb(record) -> None:
    try:
        message = record.getMessage()
    except Exception:
        message = record.msg if type(record.msg) is str else safe_repr(record.msg)
    if type(message) is not str:
        message = safe_repr(message)
    current_scope().breadcrumbs.append(
        {
            "type": "log",
            "category": record.name,
            "level": level_name(record.levelno),
            "message": cap_string(message, min(1024, MAX_MESSAGE_LENGTH)),
            "timestamp": record.created,
        }
    )
