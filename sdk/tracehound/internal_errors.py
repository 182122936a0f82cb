"""The SDK's own failures, counted for the whole process.

Reporting must never raise into the host, so the few places that catch everything swallow what they catch:
the handler's ``emit``, the sender thread, the request extractors and the integrations' hooks. Each also
records it here, so that an SDK that is quiet can be told from one that is broken: ``count`` is how many were
swallowed since the process started, ``last`` describes the latest (where, and the exception's repr).
"""

from __future__ import annotations

count = 0
last = None


def record(where: str, error: BaseException) -> None:
    """Count an exception the SDK swallowed at ``where``. Never raises."""
    global count, last
    # Not locked: two failures at the same instant may be counted as one, which still says that something
    # failed, and a lock could be left held in a forked child by a thread that does not exist there.
    count += 1
    try:
        description = repr(error)
    except BaseException:  # a hostile __repr__ must not escape
        description = "<unrepresentable %s>" % type(error).__name__
    last = "%s: %s" % (where, description[:500])
