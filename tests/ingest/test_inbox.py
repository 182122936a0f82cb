"""Telling digest about committed events: at once for the first batch, then at most every SIGNAL_SECONDS, and
nothing held back is lost."""

import time

from ingest import inbox
from ingest.inbox import SIGNAL_SECONDS, DigestSignal


def test_digest_is_signalled_at_once_then_held_back_within_the_interval_and_sent_after_it(monkeypatch):
    sent = []
    monkeypatch.setattr(inbox.handoff, "events_accepted", sent.append)
    signal = DigestSignal()
    signal.events_committed({1, 2})
    assert sorted(sent) == [1, 2]
    signal.events_committed({1, 3})  # project 1 was signalled a moment ago; project 3 never was
    assert sorted(sent) == [1, 2, 3]
    signal.send_held()  # still within the interval: project 1 stays held
    assert sorted(sent) == [1, 2, 3]
    time.sleep(SIGNAL_SECONDS)
    signal.send_held()
    assert sorted(sent) == [1, 1, 2, 3]
    signal.send_held()  # nothing is held any more
    assert sorted(sent) == [1, 1, 2, 3]
