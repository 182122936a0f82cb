"""One round of monitors' background work: the check-ins waiting in the inbox, then the sweep."""

from monitors.inbox import apply_until_empty, pending_check_ins
from monitors.sweep import sweep


def monitors_round() -> None:
    # A plain read first: on SQLite, the claiming transaction takes the write lock even when nothing waits.
    if pending_check_ins().exists():
        apply_until_empty()
    sweep()
