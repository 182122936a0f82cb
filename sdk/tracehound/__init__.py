"""tracehound: report errors to Tracehound or any Sentry-compatible server.

Standard library only. The Django and Celery integrations live in ``tracehound.contrib`` and import
their framework only when used.
"""

from __future__ import annotations

import time

from .client import Client, TracehoundWarning, get_client, init
from .consts import VERSION as __version__
from .dsn import Dsn, InvalidDsn
from .handler import Handler, ignore_logger
from .scope import current_scope, global_scope, isolation_scope
from .serialize import capture_value


def capture_exception(error=None, **kwargs):
    """Report ``error`` (default: the exception being handled). Returns the event id or None."""
    return get_client().capture_exception(error, **kwargs)


def capture_message(message, level: str = "info", **kwargs):
    return get_client().capture_message(message, level, **kwargs)


def capture_checkin(monitor_slug, status, check_in_id=None, duration=None, monitor_config=None):
    return get_client().capture_checkin(monitor_slug, status, check_in_id, duration, monitor_config)


def set_user(user) -> None:
    """``{"id": ..., "username": ..., "email": ...}`` or None, on the current scope."""
    current_scope().user = capture_value(user) if user else None


def set_tag(key, value) -> None:
    current_scope().tags[str(key)] = str(value)


def set_context(name, value) -> None:
    scope = current_scope()
    if value is None:
        scope.contexts.pop(name, None)
    else:
        scope.contexts[str(name)] = capture_value(value)


def set_extra(key, value) -> None:
    current_scope().extra[str(key)] = capture_value(value, 1)


def add_breadcrumb(crumb=None, **kwargs) -> None:
    data = dict(crumb or {})
    data.update(kwargs)
    data.setdefault("timestamp", time.time())
    current_scope().breadcrumbs.append(capture_value(data, 0))


def flush(timeout: float = 2.0) -> bool:
    """Wait up to ``timeout`` seconds until queued events are sent; True when the queue drained."""
    return get_client().flush(timeout)


__all__ = [
    "Client",
    "Dsn",
    "Handler",
    "InvalidDsn",
    "TracehoundWarning",
    "add_breadcrumb",
    "capture_checkin",
    "capture_exception",
    "capture_message",
    "current_scope",
    "flush",
    "get_client",
    "global_scope",
    "ignore_logger",
    "init",
    "isolation_scope",
    "set_context",
    "set_extra",
    "set_tag",
    "set_user",
    "__version__",
]
