"""The handler must never hurt the host: no raising, no I/O in emit, no recursion, hostile values safe."""

import json
import logging
import logging.config
import socket
import threading
import warnings

import pytest
import tracehound
from tracehound.handler import Handler
from tracehound.serialize import capture_value, to_json_bytes


class ExplodingRepr:
    def __repr__(self):
        raise RuntimeError("repr exploded")

    def __str__(self):
        raise RuntimeError("str exploded")


class LoggingRepr:
    """A value whose repr logs: capturing it must not re-enter the handler."""

    def __init__(self, logger):
        self.logger = logger

    def __repr__(self):
        self.logger.error("logged from inside repr")
        return "<LoggingRepr>"


def test_emit_never_raises_on_broken_records(server, make_logger):
    logger, handler = make_logger(server.dsn)
    logger.error("%d items", "not a number")  # formatting fails
    logger.error(ExplodingRepr())  # msg whose str and repr raise
    logger.error("args explode %s", ExplodingRepr())
    logger.error("odd extras", extra={"tags": "not-a-dict", "fingerprint": "one-string"})
    record = logging.LogRecord(logger.name, logging.ERROR, __file__, 1, "bad exc_info", None, ("x", "y", "z"))
    handler.handle(record)  # exc_info is garbage
    try:
        raise ValueError(ExplodingRepr())
    except ValueError:
        logger.exception("exception whose str raises")
    assert handler.client.flush(5)
    events = server.events()
    assert len(events) >= 4
    messages = [e["logentry"] for e in events]
    assert messages[0]["message"] == "%d items"
    assert messages[1]["message"].startswith("<unrepresentable")
    assert messages[2]["params"] == ["<unrepresentable ExplodingRepr>"]
    assert events[3]["fingerprint"] == ["one-string"] and "tags" not in events[3]
    assert events[-1]["exception"]["values"][0]["value"].startswith("<unrepresentable")
    assert handler.client.transport.dropped == {}
    assert handler.errors == 0


def test_emit_does_no_network_io_on_the_callers_thread(server, make_logger, monkeypatch):
    caller = threading.get_ident()
    connecting_threads = []
    real_connect = socket.socket.connect

    def spy_connect(self, address):
        connecting_threads.append(threading.get_ident())
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", spy_connect)
    logger, handler = make_logger(server.dsn)
    for _ in range(3):
        try:
            raise ValueError("x")
        except ValueError:
            logger.exception("failed")
    assert handler.client.flush(5)
    assert len(server.events()) == 3
    assert connecting_threads and caller not in connecting_threads


def test_sdk_and_http_library_loggers_are_ignored(server, make_logger):
    logger, handler = make_logger(server.dsn, name="root-ish")
    for name in ("tracehound", "tracehound.transport", "urllib3.connectionpool", "http.client"):
        logging.getLogger(name).addHandler(handler)
    try:
        for name in ("tracehound", "tracehound.transport", "urllib3.connectionpool", "http.client"):
            logging.getLogger(name).error("must not be reported")
        assert handler.client.flush(2)
        assert server.requests == []
    finally:
        for name in ("tracehound", "tracehound.transport", "urllib3.connectionpool", "http.client"):
            logging.getLogger(name).removeHandler(handler)


def test_reentrant_logging_from_repr_is_ignored(server, make_logger):
    logger, handler = make_logger(server.dsn)
    loud = LoggingRepr(logger)  # a local whose repr logs through the same logger
    try:
        raise ValueError("outer")
    except ValueError:
        logger.exception("outer failure with %r", loud)
    assert handler.client.flush(5)
    events = server.events()
    assert len(events) == 1
    assert events[0]["logentry"]["formatted"] == "outer failure with <LoggingRepr>"


def test_logging_from_before_send_on_the_sender_thread_is_ignored(server, make_logger):
    holder = {}

    def before_send(event, hint):
        holder["logger"].error("logged by before_send")
        return event

    logger, handler = make_logger(server.dsn, before_send=before_send)
    holder["logger"] = logger
    logger.error("first")
    assert handler.client.flush(5)
    assert handler.client.flush(1)
    assert len(server.events()) == 1


def test_invalid_dsn_disables_the_handler_with_one_warning(make_logger):
    with pytest.warns(tracehound.TracehoundWarning, match="invalid DSN") as caught:
        logger, handler = make_logger("https://no-project-id@example.com/")
        make_logger("https://no-project-id@example.com/")
    assert len([w for w in caught if issubclass(w.category, tracehound.TracehoundWarning)]) == 1
    assert handler.client.enabled is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logger.error("nothing happens")
        try:
            raise ValueError("x")
        except ValueError:
            logger.exception("nothing happens either")
    assert handler.errors == 0


def test_missing_dsn_disables_quietly(monkeypatch):
    monkeypatch.delenv("TRACEHOUND_DSN", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        handler = Handler()
    assert not handler.client.enabled
    assert tracehound.capture_message("x") is None
    assert tracehound.flush(0.1) is True


def test_handler_in_dictconfig(server):
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {
            "tracehound": {"class": "tracehound.Handler", "dsn": server.dsn, "level": "ERROR", "release": "cfg-1"}
        },
        "loggers": {"dictconfigured": {"handlers": ["tracehound"], "level": "INFO", "propagate": False}},
    }
    logging.config.dictConfig(config)
    logger = logging.getLogger("dictconfigured")
    handler = logger.handlers[0]
    try:
        assert isinstance(handler, Handler)
        assert handler.event_level == logging.ERROR
        logger.warning("breadcrumb only")
        logger.error("reported")
        assert handler.client.flush(5)
        (event,) = server.events()
        assert event["release"] == "cfg-1"
        assert event["breadcrumbs"]["values"][0]["message"] == "breadcrumb only"
    finally:
        logger.removeHandler(handler)


def test_concurrent_emits_from_many_threads(server, make_logger):
    logger, handler = make_logger(server.dsn, queue_size=1000)

    def work(n):
        for i in range(20):
            try:
                raise ValueError(f"t{n}-{i}")
            except ValueError:
                logger.exception("thread failure")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert handler.client.flush(10)
    assert handler.client.transport.sent == 160
    assert len({e["event_id"] for e in server.events()}) == 160


# ---------------------------------------------------------------- hostile values


def test_cyclic_structures():
    a = {"name": "a"}
    a["self"] = a
    lst = [1]
    lst.append(lst)
    out = capture_value({"a": a, "l": lst})
    assert out["a"]["self"] == "<cycle dict>"
    assert out["l"][1] == "<cycle list>"
    json.loads(to_json_bytes(out))


def test_huge_bytes_and_strings_are_cut_before_repr():
    big = b"x" * (50 * 1024 * 1024)
    out = capture_value({"blob": big, "text": "y" * 10_000_000})
    assert len(out["blob"]) < 700 and out["blob"].endswith("...(52428800 bytes)")
    assert len(out["text"]) == 515


def test_dict_changed_during_iteration():
    class Sneaky:
        def __init__(self, target):
            self.target = target

        def __repr__(self):
            self.target[f"new-{len(self.target)}"] = 1
            return "<Sneaky>"

    d = {}
    d["a"] = Sneaky(d)
    d["b"] = 2
    assert capture_value(d) == "<dict changed during capture>"


def test_nan_infinity_and_huge_ints_serialise_as_valid_json():
    out = capture_value([float("nan"), float("inf"), -float("inf"), 10**5000, 1.5])
    assert out == ["nan", "inf", "-inf", out[3], 1.5]
    assert out[3].startswith("<unrepresentable int") or out[3].startswith("1")
    json.loads(to_json_bytes(out))
    # to_json_bytes copes with raw hostile input too
    raw = {"nan": float("nan"), "obj": object(), 1: {2, 3}, "surrogate": "\ud800"}
    loaded = json.loads(to_json_bytes(raw))
    assert loaded["nan"] == "nan" and loaded["obj"].startswith("<object")


def test_depth_breadth_and_string_limits():
    deep = {"l1": {"l2": {"l3": {"l4": {"l5": 1}}}}}
    out = capture_value(deep)
    assert out["l1"]["l2"]["l3"]["l4"] == "<dict with 1 items>"
    wide = capture_value(list(range(100)))
    assert wide[:20] == list(range(20)) and wide[20] == "...80 more items" and len(wide) == 21
    assert capture_value("z" * 600) == "z" * 512 + "..."


def test_hostile_locals_in_a_real_event(server, make_logger):
    logger, handler = make_logger(server.dsn)
    cyclic = {}
    cyclic["me"] = cyclic
    blob = b"\x00" * (50 * 1024 * 1024)  # noqa: F841 - a local the event must survive
    nan = float("nan")  # noqa: F841
    broken = ExplodingRepr()  # noqa: F841
    try:
        raise ValueError("hostile")
    except ValueError:
        logger.exception("hostile locals")
    assert handler.client.flush(5)
    (event,) = server.events()
    frame_vars = event["exception"]["values"][0]["stacktrace"]["frames"][-1]["vars"]
    assert frame_vars["cyclic"] == {"me": "<cycle dict>"}
    assert frame_vars["nan"] == "nan"
    assert frame_vars["broken"] == "<unrepresentable ExplodingRepr>"
    assert frame_vars["blob"].endswith("(52428800 bytes)")
    assert frame_vars["server"].startswith("<tests.sdk.fakeserver.FakeServer")
