"""Scopes stay apart between threads and requests; queued events hold no frames or objects."""

import gc
import logging
import threading
import weakref

import tracehound
from tracehound.handler import ignore_logger


class Payload:
    pass


def test_queued_events_hold_no_frames_or_locals(black_hole):
    # A stuck sender keeps events on the queue; the objects of the failing frames must still be freed.
    client = tracehound.init(dsn=black_hole.dsn, timeout=2.0)

    def fail():
        payload = Payload()
        ref = weakref.ref(payload)
        try:
            raise ValueError(payload)
        except ValueError as exc:
            tracehound.capture_exception(exc)
        return ref

    refs = [fail() for _ in range(5)]
    gc.collect()
    assert client.transport._queue.qsize() >= 3  # still waiting to be sent
    assert [r() for r in refs] == [None] * 5


def test_isolation_scopes_keep_threads_apart(server):
    tracehound.init(dsn=server.dsn)
    tracehound.set_tag("global", "yes")
    barrier = threading.Barrier(2)

    def request(user_id):
        with tracehound.isolation_scope():
            tracehound.set_user({"id": user_id})
            tracehound.set_tag("worker", user_id)
            tracehound.add_breadcrumb(message=f"crumb of {user_id}")
            barrier.wait()
            tracehound.capture_message(f"from {user_id}")

    threads = [threading.Thread(target=request, args=(u,)) for u in ("u1", "u2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tracehound.capture_message("outside")
    assert tracehound.flush(5)
    by_message = {e["logentry"]["message"]: e for e in server.events()}
    for user_id in ("u1", "u2"):
        event = by_message[f"from {user_id}"]
        assert event["user"] == {"id": user_id}
        assert event["tags"] == {"global": "yes", "worker": user_id}
        assert [c["message"] for c in event["breadcrumbs"]["values"]] == [f"crumb of {user_id}"]
    outside = by_message["outside"]
    assert "user" not in outside and outside["tags"] == {"global": "yes"} and "breadcrumbs" not in outside


def test_breadcrumbs_are_capped(server):
    tracehound.init(dsn=server.dsn)
    for i in range(150):
        tracehound.add_breadcrumb(message=f"b{i}")
    tracehound.capture_message("with crumbs")
    assert tracehound.flush(5)
    (event,) = server.events()
    crumbs = event["breadcrumbs"]["values"]
    assert len(crumbs) == 100 and crumbs[0]["message"] == "b50" and crumbs[-1]["message"] == "b149"


def test_ignore_logger_and_disabled_breadcrumbs(server, make_logger):
    logger, handler = make_logger(server.dsn, name="noisy.lib", breadcrumb_level=None)
    assert handler.level == logging.ERROR
    quiet, _ = make_logger(server.dsn, name="quiet.lib")
    ignore_logger("quiet.lib")
    logger.info("not a breadcrumb")
    quiet.error("ignored")
    logging.getLogger("quiet.lib.child").error("ignored too")
    logger.error("reported")
    assert handler.client.flush(5)
    (event,) = server.events()
    assert event["logentry"]["message"] == "reported"
    assert "breadcrumbs" not in event


def test_handlers_with_different_dsns_send_to_their_own_server(server, make_logger):
    from .fakeserver import FakeServer

    other = FakeServer()
    try:
        first, h1 = make_logger(server.dsn)
        second, h2 = make_logger(other.dsn)
        third, h3 = make_logger(server.dsn)
        assert h1.client is h3.client and h2.client is not h1.client
        first.error("to first")
        second.error("to second")
        assert h1.client.flush(5) and h2.client.flush(5)
        assert [e["logentry"]["message"] for e in server.events()] == ["to first"]
        assert [e["logentry"]["message"] for e in other.events()] == ["to second"]
    finally:
        other.close()
