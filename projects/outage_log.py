"""Log lines for a failure that repeats while something is down (the database, the broker): the first failure in
full, then one line a while saying how many more there were, and one line when it works again.

A 40-second database outage once wrote 12,637 lines (a warning for every failed batch of every process, a
traceback for every failed task), which buries the one line that says what is wrong.
"""

import logging
import threading
import time

REPEAT_SECONDS = 30.0


class OutageLog:
    def __init__(self, logger: logging.Logger, what: str, repeat_seconds: float = REPEAT_SECONDS):
        self.logger = logger
        self.what = what
        self.repeat_seconds = repeat_seconds
        self._lock = threading.Lock()
        self._failing_since: float | None = None
        self._unsaid = 0
        self._failures = 0
        self._last_said = 0.0

    def failed(self, error: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self._failures += 1
            if self._failing_since is None:
                self._failing_since = self._last_said = now
                self.logger.warning("%s failed: %s: %s", self.what, type(error).__name__, error)
                return
            self._unsaid += 1
            if now - self._last_said < self.repeat_seconds:
                return
            count, self._unsaid, self._last_said = self._unsaid, 0, now
            since = now - self._failing_since
        self.logger.warning("%s still failing (%d more times; for %.0f s): %s", self.what, count, since, error)

    def succeeded(self) -> None:
        if self._failing_since is None:  # the usual case: no lock taken
            return
        with self._lock:
            if self._failing_since is None:
                return
            since, failures = time.monotonic() - self._failing_since, self._failures
            self._failing_since, self._unsaid, self._failures = None, 0, 0
        self.logger.warning("%s works again after %.0f s (%d failures)", self.what, since, failures)
