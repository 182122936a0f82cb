"""The server misbehaves; the caller must never wait, nothing is retried in a storm, drops are counted."""

import time

import pytest
import tracehound
from tracehound.transport import parse_rate_limits, parse_retry_after

from .fakeserver import refused_port


def _emit_burst(logger, n):
    """Log ``n`` errors; return the slowest single call in seconds."""
    slowest = 0.0
    for i in range(n):
        start = time.perf_counter()
        try:
            raise ValueError(f"burst {i}")
        except ValueError:
            logger.exception("burst")
        slowest = max(slowest, time.perf_counter() - start)
    return slowest


def test_server_down_connection_refused(make_logger):
    logger, handler = make_logger(f"http://k@127.0.0.1:{refused_port()}/1")
    slowest = _emit_burst(logger, 50)
    assert slowest < 0.5
    assert handler.client.flush(5)
    dropped = handler.client.transport.dropped
    # One connection attempt failed; the rest fell into the backoff window instead of retrying.
    assert dropped.get("network_error") == 1
    assert dropped.get("backoff", 0) + dropped.get("queue_full", 0) == 49
    assert handler.client.transport.sent == 0


def test_hanging_server_never_blocks_the_caller(make_logger, black_hole):
    # The sender waits 1 s for an answer that never comes. A caller that waited on the network would
    # take that long; the bounds below leave room for GC pauses and GIL hand-offs, not for that.
    logger, handler = make_logger(black_hole.dsn, timeout=1.0, queue_size=20)
    started = time.perf_counter()
    slowest = _emit_burst(logger, 300)
    elapsed = time.perf_counter() - started
    assert slowest < 0.5
    assert elapsed < 0.9  # 300 events, all while the sender is stuck on an unanswered request
    # flush honours its timeout even though the sender is stuck
    t0 = time.perf_counter()
    assert handler.client.flush(0.2) is False
    assert time.perf_counter() - t0 < 0.5
    assert handler.client.transport.dropped["queue_full"] >= 250
    assert handler.client.flush(3)
    assert handler.client.transport.dropped.get("network_error") == 1
    assert len(black_hole.accepted) == 1


@pytest.mark.parametrize("status, reason", [(500, "server_error"), (503, "server_error")])
def test_server_errors_back_off_instead_of_retrying(server, make_logger, status, reason):
    server.respond(status, times=100)
    logger, handler = make_logger(server.dsn)
    _emit_burst(logger, 20)
    assert handler.client.flush(5)
    assert len(server.requests) == 1  # one attempt, then a 1 s backoff: no storm
    assert handler.client.transport.dropped[reason] == 1
    assert handler.client.transport.dropped["backoff"] == 19
    # After the backoff the next event is tried again (and here accepted).
    server.responses.clear()
    time.sleep(1.05)
    _emit_burst(logger, 1)
    assert handler.client.flush(5)
    assert len(server.requests) == 2
    assert handler.client.transport.sent == 1


def test_backoff_doubles_on_consecutive_failures(server):
    server.respond(500, times=10)
    client = tracehound.init(dsn=server.dsn)
    transport = client.transport
    tracehound.capture_message("one")
    assert client.flush(5)
    first = transport._backoff_until - time.monotonic()
    transport._backoff_until = 0
    tracehound.capture_message("two")
    assert client.flush(5)
    second = transport._backoff_until - time.monotonic()
    assert 0.5 < first <= 1.0 and 1.5 < second <= 2.0


@pytest.mark.parametrize("status", [400, 413])
def test_rejected_events_are_dropped_without_backoff(server, make_logger, status):
    server.respond(status, times=3)
    logger, handler = make_logger(server.dsn)
    _emit_burst(logger, 5)
    assert handler.client.flush(5)
    assert len(server.requests) == 5  # an event-specific rejection does not stop the next events
    assert handler.client.transport.dropped == {"rejected": 3}
    assert handler.client.transport.sent == 2


def test_429_retry_after_stops_everything_until_it_expires(server, make_logger):
    server.respond(429, {"Retry-After": "1"})
    logger, handler = make_logger(server.dsn)
    _emit_burst(logger, 1)
    assert handler.client.flush(5)
    assert handler.client.transport.is_rate_limited("error")
    assert handler.client.transport.is_rate_limited("monitor")
    _emit_burst(logger, 10)
    tracehound.capture_checkin("nightly", "ok")
    assert handler.client.flush(5)
    assert len(server.requests) == 1
    assert handler.client.transport.dropped["rate_limited"] == 12
    time.sleep(1.05)
    _emit_burst(logger, 1)
    assert handler.client.flush(5)
    assert len(server.requests) == 2


def test_429_rate_limit_header_is_per_category(server, make_logger):
    server.respond(
        429, {"X-Sentry-Rate-Limits": "60:error;transaction:key:quota_exceeded, 1::organization", "Retry-After": "600"}
    )
    logger, handler = make_logger(server.dsn)
    transport = handler.client.transport
    _emit_burst(logger, 1)
    assert handler.client.flush(5)
    # "error" is limited for 60 s; the empty-category entry limits everything for 1 s; Retry-After is
    # ignored when the header is present.
    assert transport.is_rate_limited("error") and transport.is_rate_limited("monitor")
    time.sleep(1.05)
    assert transport.is_rate_limited("error")
    assert not transport.is_rate_limited("monitor")
    _emit_burst(logger, 3)
    tracehound.capture_checkin("nightly", "ok")
    assert handler.client.flush(5)
    assert [h["type"] for h, _ in server.items[1:]] == ["check_in"]


def test_rate_limit_headers_on_a_200_are_honoured(server):
    server.respond(200, {"X-Sentry-Rate-Limits": "30:monitor:project"})
    client = tracehound.init(dsn=server.dsn)
    tracehound.capture_message("ok")
    assert client.flush(5)
    assert client.transport.is_rate_limited("monitor")
    assert not client.transport.is_rate_limited("error")


def test_parse_rate_limits_and_retry_after():
    assert parse_rate_limits("60:error;transaction:key, 2::organization:quota, bogus, 5") == [
        (60.0, ("error", "transaction")),
        (2.0, (None,)),
        (5.0, (None,)),
    ]
    assert parse_retry_after("12", time.time()) == 12.0
    assert parse_retry_after(None, time.time()) == 60.0
    assert 0 <= parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", time.time()) == 0.0


def test_full_queue_drops_and_counts(black_hole):
    client = tracehound.init(dsn=black_hole.dsn, queue_size=5, timeout=0.3)
    sent = [tracehound.capture_message(f"m{i}") for i in range(50)]
    # the sender holds at most one item, the queue five: the rest are dropped, not waited for
    assert sum(1 for x in sent if x) <= 7
    assert client.transport.dropped["queue_full"] >= 43
