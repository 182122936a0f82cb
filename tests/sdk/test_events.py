"""What an event carries: exception chain, frames, locals, context lines, log entry, scope, scrubbing."""

import logging
import os
import random

import pytest
import tracehound
from tracehound.dsn import Dsn, InvalidDsn


def _fail_deep(n, payload):
    local_marker = f"frame-{n}"
    if n == 0:
        raise KeyError(f"missing {local_marker}")
    return _fail_deep(n - 1, payload)


def _one_event(server, timeout=5.0):
    assert tracehound.flush(timeout) or True
    server.wait_for_requests(1, timeout)
    events = server.events()
    assert len(events) == 1, events
    return events[0]


def test_logged_exception_has_frames_locals_context_lines_and_logentry(server, make_logger):
    logger, handler = make_logger(server.dsn, release="shop@1.2.3", environment="staging")
    try:
        _fail_deep(3, {"card": "4111", "api_key": "sk_live_123"})
    except KeyError:
        logger.exception("checkout failed for %s after %d tries", "ada", 3, extra={"order_id": 17})
    assert handler.client.flush(5)
    event = _one_event(server)

    assert event["level"] == "error"
    assert event["logger"] == logger.name
    assert event["logentry"] == {
        "message": "checkout failed for %s after %d tries",
        "params": ["ada", 3],
        "formatted": "checkout failed for ada after 3 tries",
    }
    assert event["extra"] == {"order_id": 17}
    assert event["release"] == "shop@1.2.3"
    assert event["environment"] == "staging"
    assert event["server_name"]
    assert event["sdk"]["name"] == "tracehound"
    assert event["contexts"]["runtime"]["version"]
    assert event["contexts"]["os"]["name"]

    (value,) = event["exception"]["values"]
    assert value["type"] == "KeyError"
    assert value["mechanism"] == {"type": "logging", "handled": True}
    frames = value["stacktrace"]["frames"]
    assert [f["function"] for f in frames] == ["test_logged_exception_has_frames_locals_context_lines_and_logentry"] + [
        "_fail_deep"
    ] * 4
    last = frames[-1]
    assert last["module"] == "tests.sdk.test_events"
    assert last["abs_path"] == os.path.abspath(__file__)
    assert last["filename"] == os.path.join("tests", "sdk", "test_events.py")
    assert last["in_app"] is True
    assert last["context_line"].strip() == 'raise KeyError(f"missing {local_marker}")'
    assert len(last["pre_context"]) == 5 and len(last["post_context"]) == 5
    assert last["pre_context"][-1].strip() == "if n == 0:"
    assert last["vars"]["n"] == 0
    assert last["vars"]["local_marker"] == "frame-0"
    assert last["vars"]["payload"] == {"card": "4111", "api_key": "[Filtered]"}
    assert [f["vars"]["n"] for f in frames[1:]] == [3, 2, 1, 0]


def test_exception_chain_cause_and_context_oldest_first(server):
    tracehound.init(dsn=server.dsn)
    try:
        try:
            try:
                {}["a"]
            except KeyError as exc:
                raise ValueError("bad value") from exc
        except ValueError:
            raise RuntimeError("while handling")  # noqa: B904 - the implicit __context__ is the point
    except RuntimeError:
        event_id = tracehound.capture_exception()
    assert event_id
    event = _one_event(server)
    assert event["event_id"] == event_id
    assert [v["type"] for v in event["exception"]["values"]] == ["KeyError", "ValueError", "RuntimeError"]
    assert event["exception"]["values"][-1]["mechanism"]["type"] == "generic"


def test_suppressed_context_is_not_reported(server):
    tracehound.init(dsn=server.dsn)
    try:
        try:
            raise KeyError("inner")
        except KeyError:
            raise ValueError("outer") from None
    except ValueError as exc:
        tracehound.capture_exception(exc)
    event = _one_event(server)
    assert [v["type"] for v in event["exception"]["values"]] == ["ValueError"]


def test_same_exception_is_reported_once(server):
    tracehound.init(dsn=server.dsn)
    try:
        raise ValueError("x")
    except ValueError as exc:
        assert tracehound.capture_exception(exc)
        assert tracehound.capture_exception(exc) is None
    _one_event(server)


def test_library_frames_are_not_in_app_and_in_app_options_override(server):
    import json

    tracehound.init(dsn=server.dsn, in_app_exclude=["tests.sdk.test_events"])
    try:
        json.loads("{not json")
    except ValueError:
        tracehound.capture_exception()
    event = _one_event(server)
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    assert frames[0]["module"] == "tests.sdk.test_events" and frames[0]["in_app"] is False
    assert frames[-1]["module"].startswith("json") and frames[-1]["in_app"] is False


def test_message_scope_tags_user_context_breadcrumbs_and_fingerprint(server, make_logger):
    logger, _ = make_logger(server.dsn)
    tracehound.set_tag("shard", "eu-1")
    tracehound.set_user({"id": "7", "email": "ada@example.org"})
    tracehound.set_context("cart", {"items": 3, "coupon_token": "abc"})
    tracehound.add_breadcrumb(category="payment", message="card authorised")
    logger.info("user %s opened the cart", "ada")
    logger.debug("debug lines are below the breadcrumb level")
    logger.error("stock for %s is negative", "SKU-1", extra={"fingerprint": ["stock", "negative"], "tags": {"sku": 1}})
    event = _one_event(server)
    assert "exception" not in event
    assert event["logentry"]["formatted"] == "stock for SKU-1 is negative"
    assert event["tags"] == {"shard": "eu-1", "sku": "1"}
    assert event["user"] == {"id": "7", "email": "ada@example.org"}
    assert event["contexts"]["cart"] == {"items": 3, "coupon_token": "[Filtered]"}
    assert event["fingerprint"] == ["stock", "negative"]
    crumbs = event["breadcrumbs"]["values"]
    assert [c.get("message") for c in crumbs] == ["card authorised", "user ada opened the cart"]
    assert crumbs[1]["category"] == logger.name and crumbs[1]["level"] == "info"


def test_warning_level_handler_reports_warnings_and_keeps_info_as_breadcrumbs(server, make_logger):
    logger, handler = make_logger(server.dsn, level="WARNING")
    assert handler.event_level == logging.WARNING and handler.level == logging.INFO
    logger.info("context")
    logger.warning("disk at %d%%", 91)
    event = _one_event(server)
    assert event["level"] == "warning"
    assert event["breadcrumbs"]["values"][0]["message"] == "context"


def test_scrubbing_applies_to_extra_request_like_data_and_before_send_sees_it(server):
    seen = []

    def before_send(event, hint):
        seen.append(event)
        event["tags"] = {"edited": "yes"}
        return event

    tracehound.init(dsn=server.dsn, before_send=before_send)
    tracehound.capture_message(
        "hello",
        extra={"Authorization": "Bearer x", "nested": {"SessionId": "s", "plain": "p"}, "x": [{"csrftoken": 1}]},
    )
    event = _one_event(server)
    assert event["extra"] == {
        "Authorization": "[Filtered]",
        "nested": {"SessionId": "[Filtered]", "plain": "p"},
        "x": [{"csrftoken": "[Filtered]"}],
    }
    assert event["tags"] == {"edited": "yes"}
    assert seen and seen[0]["event_id"] == event["event_id"]


def test_before_send_returning_none_or_raising_drops_the_event(server):
    client = tracehound.init(dsn=server.dsn, before_send=lambda event, hint: None)
    tracehound.capture_message("dropped")
    assert client.flush(5)
    client2 = tracehound.init(dsn=server.dsn, before_send=lambda event, hint: 1 / 0)
    tracehound.capture_message("dropped too")
    assert client2.flush(5)
    assert server.requests == []
    assert client.transport.dropped == {"before_send": 1}
    assert client2.transport.dropped == {"before_send": 1}


def test_sample_rate_zero_sends_no_events_and_counts(server):
    client = tracehound.init(dsn=server.dsn, sample_rate=0.0)
    for _ in range(5):
        assert tracehound.capture_message("x") is None
    tracehound.capture_checkin("nightly", "ok")  # check-ins are not sampled
    assert client.flush(2)
    assert [h["type"] for h, _ in server.items] == ["check_in"]
    assert client.transport.dropped == {"sample_rate": 5}


def test_sample_rate_half_sends_about_half(server):
    client = tracehound.init(dsn=server.dsn, sample_rate=0.5, queue_size=1000)
    random.seed(1234)
    results = [tracehound.capture_message("x") for _ in range(400)]
    assert client.flush(10)
    sent = sum(1 for r in results if r)
    assert 150 < sent < 250
    assert client.transport.dropped["sample_rate"] == 400 - sent
    assert client.transport.sent == sent


def test_environment_variables_configure_init(server, monkeypatch):
    monkeypatch.setenv("TRACEHOUND_DSN", server.dsn)
    monkeypatch.setenv("TRACEHOUND_RELEASE", "r9")
    monkeypatch.setenv("TRACEHOUND_ENVIRONMENT", "qa")
    tracehound.init()
    tracehound.capture_message("from env")
    event = _one_event(server)
    assert (event["release"], event["environment"]) == ("r9", "qa")


def test_envelope_protocol_headers(server):
    tracehound.init(dsn=server.dsn)
    event_id = tracehound.capture_message("protocol")
    ((path, headers, envelope),) = server.wait_for_requests(1)
    assert path == "/api/42/envelope/"
    assert headers["Content-Type"] == "application/x-sentry-envelope"
    assert headers["Content-Encoding"] == "gzip"
    assert headers["X-Sentry-Auth"] == (
        f"Sentry sentry_version=7, sentry_key=publickey, sentry_client=tracehound/{tracehound.__version__}"
    )
    assert envelope["header"]["event_id"] == event_id
    assert envelope["header"]["dsn"] == server.dsn
    assert envelope["header"]["sent_at"].endswith("Z")
    assert [h["type"] for h, _ in envelope["items"]] == ["event"]


@pytest.mark.parametrize(
    "raw, url, project",
    [
        ("https://abc@errors.example.com/3", "https://errors.example.com/api/3/envelope/", "3"),
        ("http://abc@localhost:8000/12", "http://localhost:8000/api/12/envelope/", "12"),
        ("https://abc@example.com/prefix/7/", "https://example.com/prefix/api/7/envelope/", "7"),
        ("http://abc:legacy@[::1]:9000/5", "http://[::1]:9000/api/5/envelope/", "5"),
    ],
)
def test_dsn_parses(raw, url, project):
    dsn = Dsn.parse(raw)
    assert dsn.envelope_url == url
    assert dsn.project_id == project
    assert dsn.public_key == "abc"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not a url",
        "ftp://k@host/1",
        "https://host/1",
        "https://k@/1",
        "https://k@host/",
        "https://k@host/x",
        "http://k@host:99999/1",
    ],
)
def test_invalid_dsns_are_rejected(raw):
    with pytest.raises(InvalidDsn):
        Dsn.parse(raw)
