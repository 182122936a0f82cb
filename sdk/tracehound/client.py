"""The client: options, event building on the caller's thread, finishing on the background thread."""

from __future__ import annotations

import atexit
import logging
import os
import platform
import random
import socket
import sys
import time
import uuid
import warnings
import weakref

from . import internal_errors
from .consts import MAX_BREADTH, MAX_MESSAGE_LENGTH, SDK_NAME, VERSION
from .dsn import Dsn, InvalidDsn
from .scope import current_scope
from .serialize import cap_string, capture_value, safe_repr, scrub, scrub_query_string
from .stack import CONTEXT_LINES, InApp, capture_exception_chain, finish_frames
from .transport import Item, Transport


class TracehoundWarning(UserWarning):
    pass


_warned_dsns: set = set()
_clients: weakref.WeakSet = weakref.WeakSet()

LEVELS = {
    logging.CRITICAL: "fatal",
    logging.ERROR: "error",
    logging.WARNING: "warning",
    logging.INFO: "info",
    logging.DEBUG: "debug",
}


def level_name(levelno: int) -> str:
    try:
        return LEVELS[levelno]
    except KeyError:
        if levelno >= logging.CRITICAL:
            return "fatal"
        if levelno >= logging.ERROR:
            return "error"
        if levelno >= logging.WARNING:
            return "warning"
        return "info" if levelno >= logging.INFO else "debug"


_STANDARD_RECORD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_RECORD_SPECIAL = frozenset({"fingerprint", "tags", "request"})


def _new_event_id() -> str:
    return uuid.UUID(bytes=os.urandom(16), version=4).hex


def _mark_captured(exc) -> bool:
    """True if ``exc`` was already reported (the middleware and ``django.request`` both see it)."""
    try:
        if exc.__dict__.get("_tracehound_captured"):
            return True
        exc._tracehound_captured = True
    except Exception:
        pass
    return False


class _CapturedDict(dict):
    """Marks ``extra`` already copied with ``capture_value`` (from a log record)."""


class PendingEvent(Item):
    __slots__ = ("client", "event", "event_id", "scope", "request", "drop_reason")
    category = "error"

    def __init__(self, client, event, scope, request):
        self.client = client
        self.event = event
        self.event_id = event["event_id"]
        self.scope = scope
        self.request = request
        self.drop_reason = None

    def build(self):
        event = self.client.finish_event(self.event, self.scope, self.request)
        if event is None:
            self.drop_reason = "before_send"
            return None
        return [("event", event)]


class CheckInItem(Item):
    __slots__ = ("payload", "event_id")
    category = "monitor"

    def __init__(self, payload):
        self.payload = payload
        self.event_id = None

    def build(self):
        return [("check_in", self.payload)]


class Client:
    """Holds the options and the transport. Build one with ``tracehound.init()`` or through the logging
    ``Handler``; an invalid or missing DSN gives a disabled client whose methods do nothing."""

    def __init__(
        self,
        dsn=None,
        *,
        release=None,
        environment=None,
        server_name=None,
        sample_rate: float = 1.0,
        before_send=None,
        send_default_pii: bool = False,
        in_app_include=(),
        in_app_exclude=(),
        include_local_variables: bool = True,
        context_lines: int = CONTEXT_LINES,
        max_breadcrumbs: int = 100,
        queue_size: int = 100,
        timeout: float = 2.0,
        shutdown_timeout: float = 2.0,
        tags=None,
        ssl_context=None,
    ):
        if dsn is None:
            dsn = os.environ.get("TRACEHOUND_DSN") or None
        self.release = release or os.environ.get("TRACEHOUND_RELEASE") or None
        self.environment = environment or os.environ.get("TRACEHOUND_ENVIRONMENT") or "production"
        self.server_name = server_name or _hostname()
        self.sample_rate = float(sample_rate)
        self.before_send = before_send
        self.send_default_pii = bool(send_default_pii)
        self.in_app = InApp(in_app_include, in_app_exclude)
        self.include_local_variables = bool(include_local_variables)
        self.context_lines = int(context_lines)
        self.max_breadcrumbs = int(max_breadcrumbs)
        self.shutdown_timeout = float(shutdown_timeout)
        self.default_tags = dict(tags or {})
        self.dsn = None
        self.transport = None
        if dsn:
            try:
                self.dsn = Dsn.parse(dsn)
            except InvalidDsn as exc:
                key = str(dsn)
                if key not in _warned_dsns:
                    _warned_dsns.add(key)
                    warnings.warn(
                        "tracehound: invalid DSN, error reporting is disabled: %s" % exc,
                        TracehoundWarning,
                        stacklevel=3,
                    )
        if self.dsn is not None:
            self.transport = Transport(self.dsn, queue_size=queue_size, timeout=timeout, ssl_context=ssl_context)
            _clients.add(self)
        self._static_contexts = None

    @property
    def enabled(self) -> bool:
        return self.transport is not None

    # ------------------------------------------------------------------ caller's thread
    def _should_drop(self, category: str = "error") -> bool:
        transport = self.transport
        if transport is None:
            return True
        if category == "error" and self.sample_rate < 1.0 and random.random() >= self.sample_rate:
            transport.count_drop("sample_rate")
            return True
        if transport.is_rate_limited(category):
            transport.count_drop("rate_limited")
            return True
        return False

    def capture_exception(
        self,
        error=None,
        *,
        level: str = "error",
        handled: bool = True,
        mechanism: str = "generic",
        extra=None,
        tags=None,
        contexts=None,
        fingerprint=None,
        logger=None,
        logentry=None,
        request=None,
    ):
        """Report an exception (``error`` may be an instance or an ``exc_info`` tuple; default: the one
        being handled). Returns the event id, or None when nothing is sent."""
        if self.transport is None:
            return None
        if error is None:
            error = sys.exc_info()[1]
        elif isinstance(error, tuple):
            error = error[1]
        if not isinstance(error, BaseException) or _mark_captured(error) or self._should_drop():
            return None
        event = self.exception_event(error, level=level, handled=handled, mechanism=mechanism)
        return self._enqueue(event, extra, tags, contexts, fingerprint, logger, logentry, request)

    def exception_event(self, error, *, level="error", handled=True, mechanism="generic") -> dict:
        """The caller's-thread part of an exception event: the chain with frames and locals copied."""
        values = capture_exception_chain(error, self.include_local_variables)
        if values:
            values[-1]["mechanism"] = {"type": mechanism, "handled": bool(handled)}
        return {
            "event_id": _new_event_id(),
            "timestamp": time.time(),
            "level": level,
            "platform": "python",
            "exception": {"values": values},
        }

    def capture_message(
        self,
        message,
        level: str = "info",
        *,
        extra=None,
        tags=None,
        contexts=None,
        fingerprint=None,
        logger=None,
        logentry=None,
        request=None,
    ):
        if self._should_drop():
            return None
        event = {
            "event_id": _new_event_id(),
            "timestamp": time.time(),
            "level": level,
            "platform": "python",
        }
        if logentry is None:
            text = message if type(message) is str else safe_repr(message)
            logentry = {"message": cap_string(text, MAX_MESSAGE_LENGTH)}
        return self._enqueue(event, extra, tags, contexts, fingerprint, logger, logentry, request)

    def _enqueue(self, event, extra, tags, contexts, fingerprint, logger, logentry, request):
        if logger:
            event["logger"] = logger
        if logentry:
            event["logentry"] = logentry
        if extra:
            event["extra"] = extra if type(extra) is _CapturedDict else capture_value(extra)
        if tags and isinstance(tags, dict):
            event["tags"] = {str(k): cap_string(str(v), 200) for k, v in tags.items()}
        if contexts and isinstance(contexts, dict):
            event["contexts"] = capture_value(contexts)
        if fingerprint:
            if isinstance(fingerprint, str):
                fingerprint = [fingerprint]
            event["fingerprint"] = [cap_string(str(part), 200) for part in list(fingerprint)[:20]]
        scope = current_scope()
        if request is None and scope.request is not None:
            try:
                request = scope.request()
            except Exception as exc:
                internal_errors.record("scope.request", exc)
                request = None
        item = PendingEvent(self, event, scope.snapshot(), request)
        if self.transport.submit(item):
            return event["event_id"]
        return None

    def capture_log_record(self, record, mechanism: str = "logging"):
        """Build an event from a ``LogRecord`` at or above the handler's event level."""
        transport = self.transport
        if transport is None or transport.is_rate_limited("error"):
            if transport is not None:
                transport.count_drop("rate_limited")
            return None
        msg = record.msg
        template = msg if type(msg) is str else safe_repr(msg)
        logentry = {"message": cap_string(template, MAX_MESSAGE_LENGTH)}
        args = record.args
        if args:
            if type(args) is tuple:
                logentry["params"] = [capture_value(a, 1) for a in args[:MAX_BREADTH]]
            else:
                logentry["params"] = capture_value(args, 1)
        try:
            formatted = record.getMessage()
        except Exception:
            formatted = template
        if type(formatted) is not str:
            formatted = safe_repr(formatted)
        if formatted != template or args:
            logentry["formatted"] = cap_string(formatted, MAX_MESSAGE_LENGTH)
        extra = None
        fingerprint = tags = request = None
        record_dict = record.__dict__
        for key in record_dict.keys() - _STANDARD_RECORD_ATTRS:
            if key in _RECORD_SPECIAL:
                if key == "fingerprint":
                    fingerprint = record_dict[key]
                elif key == "tags":
                    tags = record_dict[key]
                else:
                    request = _request_from_record(record_dict[key], self)
                continue
            if key.startswith("_"):
                continue
            if extra is None:
                extra = _CapturedDict()
            extra[key] = capture_value(record_dict[key], 1)
        exc_info = record.exc_info
        level = level_name(record.levelno)
        if exc_info and type(exc_info) is tuple and len(exc_info) == 3 and isinstance(exc_info[1], BaseException):
            return self.capture_exception(
                exc_info[1],
                level=level,
                mechanism=mechanism,
                extra=extra,
                tags=tags,
                fingerprint=fingerprint,
                logger=record.name,
                logentry=logentry,
                request=request,
            )
        return self.capture_message(
            formatted,
            level,
            extra=extra,
            tags=tags,
            fingerprint=fingerprint,
            logger=record.name,
            logentry=logentry,
            request=request,
        )

    def capture_checkin(self, monitor_slug, status, check_in_id=None, duration=None, monitor_config=None):
        """Send a cron ``check_in`` item (status: in_progress, ok, error). Returns the check-in id."""
        if check_in_id is None:
            check_in_id = uuid.uuid4().hex
        if self._should_drop("monitor"):
            return check_in_id
        payload = {
            "check_in_id": check_in_id,
            "monitor_slug": str(monitor_slug),
            "status": status,
            "environment": self.environment,
        }
        if self.release:
            payload["release"] = self.release
        if duration is not None:
            payload["duration"] = float(duration)
        if monitor_config:
            payload["monitor_config"] = capture_value(monitor_config)
        self.transport.submit(CheckInItem(payload))
        return check_in_id

    def flush(self, timeout: float = 2.0) -> bool:
        return True if self.transport is None else self.transport.flush(timeout)

    def close(self, timeout: float = 2.0) -> bool:
        if self.transport is None:
            return True
        try:
            return self.transport.close(timeout)
        finally:
            _clients.discard(self)

    # ------------------------------------------------------------------ background thread
    def static_contexts(self) -> dict:
        if self._static_contexts is None:
            self._static_contexts = {
                "runtime": {
                    "name": platform.python_implementation(),
                    "version": platform.python_version(),
                    "build": sys.version,
                },
                "os": {"name": platform.system(), "version": platform.release()},
            }
        return self._static_contexts

    def finish_event(self, event, scope_snapshot, request):
        """Complete a captured event: frames' context lines and in_app, options, scope, scrubbing and
        ``before_send``. Runs on the background thread; returns None to drop."""
        tags, user, contexts, extra, breadcrumbs = scope_snapshot
        exception = event.get("exception")
        if exception:
            for value in exception["values"]:
                finish_frames(value["stacktrace"]["frames"], self.in_app, self.context_lines)
        if self.release:
            event["release"] = self.release
        event["environment"] = self.environment
        event["server_name"] = self.server_name
        event["sdk"] = {"name": SDK_NAME, "version": VERSION}
        merged_tags = dict(self.default_tags)
        if tags:
            merged_tags.update(tags)
        if event.get("tags"):
            merged_tags.update(event["tags"])
        if merged_tags:
            event["tags"] = {str(k): cap_string(str(v), 200) for k, v in merged_tags.items()}
        merged_contexts = dict(self.static_contexts())
        if contexts:
            merged_contexts.update(contexts)
        if event.get("contexts"):
            merged_contexts.update(event["contexts"])
        event["contexts"] = merged_contexts
        if extra:
            merged_extra = dict(extra)
            merged_extra.update(event.get("extra") or {})
            event["extra"] = merged_extra
        if breadcrumbs:
            event["breadcrumbs"] = {"values": breadcrumbs}
        if request:
            request = dict(request)
            pii_user = request.pop("_user", None)
            if request.get("query_string"):
                request["query_string"] = scrub_query_string(request["query_string"])
            event["request"] = request
            if pii_user and not user:
                user = pii_user
        if user:
            event["user"] = user
        scrub(event)
        if self.before_send is not None:
            try:
                event = self.before_send(event, {"event_id": event.get("event_id")})
            except Exception:
                return None
            if not isinstance(event, dict):
                return None
        return event


# A log record's ``request`` attribute is a framework's object (Django's ``django.request`` logger puts the
# HttpRequest there). Reading it is the integration's job: the core imports no integration, so each one registers
# its extractor when it is set up (the Django app when it is ready, and its middleware).
_request_extractors: tuple = ()


def register_request_extractor(extractor) -> None:
    """Let ``extractor(value, client)`` turn a log record's ``request`` attribute into the event's request dict.

    It returns None for a value it does not recognise; the first extractor that returns a dict wins.
    Registering the same extractor again does nothing, so an integration may register from each of its entry
    points."""
    global _request_extractors
    if extractor not in _request_extractors:
        _request_extractors = (*_request_extractors, extractor)


def _request_from_record(value, client):
    if value is None:
        return None
    for extractor in _request_extractors:
        try:
            request = extractor(value, client)
        except Exception as exc:
            internal_errors.record("request extractor", exc)
            request = None
        if request is not None:
            return request
    return None


def _hostname() -> str:
    try:
        return socket.gethostname()
    except Exception:
        return "unknown"


def _shutdown_all() -> None:
    """At exit: flush every client, all together for at most their ``shutdown_timeout`` (2 s)."""
    clients = list(_clients)
    if not clients:
        return
    deadline = time.monotonic() + max(c.shutdown_timeout for c in clients)
    for client in clients:
        try:
            client.close(max(0.0, deadline - time.monotonic()))
        except BaseException:
            pass


atexit.register(_shutdown_all)


# ---------------------------------------------------------------------- the process-wide client
# Kept here, below the logging handler, so that a handler built by logging.config finds the client it shares
# with tracehound.init() without importing the package that exports the handler.
_process_client = None
_disabled = Client(None)


def init(dsn=None, **options) -> Client:
    """Configure the process-wide client (``dsn``, ``release`` and ``environment`` default to
    ``TRACEHOUND_DSN``, ``TRACEHOUND_RELEASE``, ``TRACEHOUND_ENVIRONMENT``)."""
    global _process_client
    old = _process_client
    _process_client = Client(dsn, **options)
    if old is not None and old is not _process_client:
        old.close(0.5)
    return _process_client


def client_for(dsn, options) -> Client:
    """The client a logging ``Handler`` uses: the process-wide one when the DSN matches (so several
    handlers share one queue and thread), else a new one, which becomes process-wide if none is."""
    global _process_client
    current = _process_client
    if current is not None and current.enabled and (dsn is None or dsn == current.dsn.raw):
        return current
    client = Client(dsn, **options)
    if current is None or not current.enabled:
        _process_client = client
    return client


def get_client() -> Client:
    """The process-wide client, or a disabled one whose methods do nothing."""
    return _process_client if _process_client is not None else _disabled
