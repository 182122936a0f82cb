"""Celery integration: call ``setup()`` once in the worker (for example in your celery.py).

Failed tasks are reported with the task name, id, args and kwargs (as capped, scrubbed copies) and the
retry count; each task runs in its own scope. ``heartbeat("slug")`` wraps any function (a periodic task
or a cron job) in cron check-ins: in_progress, then ok or error with the duration.
"""

from __future__ import annotations

import functools
import time

from celery import signals

import tracehound
from tracehound import internal_errors
from tracehound.handler import ignore_logger
from tracehound.scope import pop_scope, push_scope
from tracehound.serialize import capture_value

_tokens: dict = {}


def setup() -> None:
    """Connect to Celery's task signals (idempotent)."""
    # Celery also logs each failure; the signal carries the task's context, so report from there only.
    ignore_logger("celery.app.trace")
    ignore_logger("celery.worker.job")
    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="tracehound.prerun")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="tracehound.postrun")
    signals.task_failure.connect(_on_failure, weak=False, dispatch_uid="tracehound.failure")


def _on_prerun(sender=None, task_id=None, task=None, **kwargs):
    try:
        _tokens[task_id] = push_scope()
        tracehound.set_tag("celery_task_name", getattr(task or sender, "name", "?"))
    except Exception as exc:
        internal_errors.record("celery task_prerun", exc)


def _on_postrun(sender=None, task_id=None, **kwargs):
    token = _tokens.pop(task_id, None)
    if token is not None:
        pop_scope(token)


def _on_failure(sender=None, task_id=None, exception=None, args=None, kwargs=None, traceback=None, einfo=None, **kw):
    try:
        task = sender
        request = getattr(task, "request", None)
        name = getattr(task, "name", "?")
        context = {
            "task_name": name,
            "task_id": task_id,
            "args": capture_value(list(args or ())),
            "kwargs": capture_value(dict(kwargs or {})),
            "retries": getattr(request, "retries", 0) or 0,
        }
        tracehound.get_client().capture_exception(
            exception,
            handled=False,
            mechanism="celery",
            tags={"celery_task_name": name},
            contexts={"celery": context},
        )
    except Exception as exc:
        internal_errors.record("celery task_failure", exc)


def heartbeat(monitor_slug: str, monitor_config=None):
    """Decorator sending cron check-ins around each call: ``in_progress`` before, ``ok``/``error`` after
    with the duration in seconds. Exceptions still propagate."""

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            check_in_id = tracehound.capture_checkin(monitor_slug, "in_progress", monitor_config=monitor_config)
            start = time.monotonic()
            try:
                result = func(*args, **kwargs)
            except BaseException:
                tracehound.capture_checkin(monitor_slug, "error", check_in_id, time.monotonic() - start)
                raise
            tracehound.capture_checkin(monitor_slug, "ok", check_in_id, time.monotonic() - start)
            return result

        return wrapper

    return decorator
