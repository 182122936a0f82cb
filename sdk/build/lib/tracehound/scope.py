"""Where ``set_user``/``set_tag``/``set_context``/``add_breadcrumb`` write.

There is one global scope. ``isolation_scope()`` (used per request by the Django middleware and per task
by the Celery integration) gives the current context (thread or asyncio task) its own copy, so one
request's user and breadcrumbs never end up on another request's event.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections import deque


class Scope:
    __slots__ = ("tags", "user", "contexts", "extra", "breadcrumbs", "request")

    def __init__(self, max_breadcrumbs: int = 100):
        self.tags: dict = {}
        self.user = None
        self.contexts: dict = {}
        self.extra: dict = {}
        self.breadcrumbs: deque = deque(maxlen=max_breadcrumbs)
        # A callable returning the request dict, or None. Evaluated only when an event is captured.
        self.request = None

    def fork(self) -> Scope:
        child = Scope(self.breadcrumbs.maxlen or 100)
        child.tags = dict(self.tags)
        child.user = self.user
        child.contexts = dict(self.contexts)
        child.extra = dict(self.extra)
        return child

    def snapshot(self) -> tuple:
        """Cheap copies taken on the caller's thread; merged into the event on the background thread."""
        return (
            dict(self.tags) if self.tags else None,
            self.user,
            dict(self.contexts) if self.contexts else None,
            dict(self.extra) if self.extra else None,
            list(self.breadcrumbs) if self.breadcrumbs else None,
        )


global_scope = Scope()
_current: contextvars.ContextVar = contextvars.ContextVar("tracehound_scope", default=None)


def current_scope() -> Scope:
    scope = _current.get()
    return global_scope if scope is None else scope


@contextlib.contextmanager
def isolation_scope():
    """Run a block with its own scope, forked from the current one (breadcrumbs start empty)."""
    token = _current.set(current_scope().fork())
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def push_scope():
    """Non-context-manager form for signal-based integrations: returns a token for ``pop_scope``."""
    return _current.set(current_scope().fork())


def pop_scope(token) -> None:
    try:
        _current.reset(token)
    except (ValueError, RuntimeError):
        _current.set(None)
