"""One round of notify's work, the same whoever runs it: the embedded thread, a Celery task, or the beat sweep."""

import time

from issues.minute_counts import prune_minute_counts
from notify.evaluate import check_frequencies, handle_transitions
from notify.sending import send_due

# Frequency rules are checked at most this often (each check reads the recent per-minute counts), and the
# per-minute counts past the longest window are deleted at most this often.
FREQUENCY_CHECK_SECONDS = 5.0
PRUNE_SECONDS = 3600.0
_last_run = {"frequencies": 0.0, "prune": 0.0}


def _due(what: str, every: float) -> bool:
    if time.monotonic() - _last_run[what] < every:
        return False
    _last_run[what] = time.monotonic()
    return True


def notify_round() -> None:
    """Alerts for what digest committed, the frequency rules when due, then every message due."""
    handle_transitions()
    if _due("frequencies", FREQUENCY_CHECK_SECONDS):
        check_frequencies()
    send_due()
    if _due("prune", PRUNE_SECONDS):
        prune_minute_counts()
