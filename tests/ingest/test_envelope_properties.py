"""Property tests of the envelope parser and of the whole endpoint on random bodies."""

import gzip
import json
import zlib

import brotli
import orjson
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.envelope import KEPT_TYPES, EnvelopeParser
from ingest.limits import MAX_EVENT_BYTES
from issues.models import InboxItem
from tests.ingest.client import auth, call

ITEM_TYPES = ["event", "check_in", "session", "sessions", "attachment", "transaction", "client_report", "x-unknown"]
NASTY = ["\\u0000", "\x00", "\\ud800", "\\udfff", "NaN", "-Infinity", "1e999", "\r", "\\n", "\u2028", "\xff"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@st.composite
def payloads(draw) -> bytes:
    kind = draw(st.sampled_from(["object", "object", "nasty", "binary", "not-object"]))
    if kind == "object":
        return json.dumps(draw(st.dictionaries(st.text(max_size=10), json_values, max_size=5))).encode()
    if kind == "nasty":
        fragment = draw(st.sampled_from(NASTY))
        number = fragment if fragment[0] in "N-1" else "1"
        return ('{"message": "a' + fragment + '", "v": ' + number + "}").encode()
    if kind == "binary":
        return draw(st.binary(max_size=40))
    return json.dumps(draw(json_values)).encode()


@st.composite
def envelopes(draw) -> bytes:
    parts = [json.dumps(draw(st.dictionaries(st.sampled_from(["event_id", "sent_at", "dsn"]), st.text(max_size=40))))]
    body = parts[0].encode() + b"\n"
    for _ in range(draw(st.integers(0, 4))):
        item_type = draw(st.sampled_from(ITEM_TYPES))
        payload = draw(payloads())
        framing = draw(st.sampled_from(["length", "length", "newline", "off-by"]))
        header = {"type": item_type}
        if framing == "length":
            header["length"] = len(payload)
        elif framing == "off-by":
            header["length"] = max(0, len(payload) + draw(st.integers(-3, 3)))
        else:
            payload = payload.replace(b"\n", b" ")
        body += json.dumps(header).encode() + b"\n" + payload + draw(st.sampled_from([b"\n", b"", b"\r\n"]))
    return body


def compress(encoding: str, body: bytes) -> bytes:
    return {
        "": lambda: body,
        "gzip": lambda: gzip.compress(body),
        "deflate": lambda: zlib.compress(body),
        "br": lambda: brotli.compress(body),
        "zstd": lambda: zstandard.ZstdCompressor().compress(body),
    }[encoding]()


def chunked(body: bytes, sizes: list[int]) -> list[bytes]:
    chunks, offset = [], 0
    for size in sizes:
        chunks.append(body[offset : offset + size])
        offset += size
    return [*chunks, body[offset:]]


@st.composite
def well_formed(draw) -> tuple[bytes, list[tuple[str, bytes]], dict]:
    """A valid envelope and what the parser must find in it: the kept items and the skipped counts."""
    body, kept, skipped = b'{"event_id": "9ec79c33ec9942ab8353589fcb2e04dc"}\n', [], {}
    has_event = False
    for _ in range(draw(st.integers(0, 6))):
        item_type = draw(st.sampled_from(ITEM_TYPES))
        if item_type == "event":
            if has_event:
                continue
            has_event = True
        payload = draw(st.binary(max_size=60))
        if draw(st.booleans()):
            header = {"type": item_type, "length": len(payload)}
        else:
            header, payload = {"type": item_type}, payload.replace(b"\n", b"")
        body += json.dumps(header).encode() + b"\n" + payload + b"\n"
        if item_type in KEPT_TYPES:
            kept.append((item_type, payload))
        else:
            skipped[item_type] = skipped.get(item_type, 0) + 1
    return body, kept, skipped


@settings(max_examples=200, deadline=None)
@given(well_formed(), st.lists(st.integers(1, 50), max_size=30))
def test_the_parser_finds_every_item_whatever_the_chunking(envelope, sizes):
    body, kept, skipped = envelope
    parser = EnvelopeParser()
    for chunk in chunked(body, sizes):
        parser.feed(chunk)
    parser.finish()
    assert parser.kept == kept
    assert dict(parser.skipped) == skipped


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=envelopes(),
    encoding=st.sampled_from(["", "gzip", "deflate", "br", "zstd"]),
    cut=st.integers(0, 5),
    sizes=st.lists(st.integers(1, 64), max_size=10),
)
def test_random_bodies_never_get_a_5xx_and_what_is_stored_is_clean(committed, project_key, body, encoding, cut, sizes):
    wire = compress(encoding, body)
    wire = wire[: len(wire) - cut] if cut and encoding else wire  # truncated compression, now and then
    headers = {**auth(project_key), "Content-Encoding": encoding}
    response = call(f"/api/{project_key.project_id}/envelope/", chunked(wire, sizes), headers)
    assert response.status in (200, 400, 401, 403, 413, 429)
    if response.status != 200:
        assert "detail" in response.json
    for item in InboxItem.objects.all():
        payload = InboxItem.unpack(item.payload)
        assert isinstance(orjson.loads(payload), dict)  # strict JSON: no NaN, no lone surrogates
        assert b"\x00" not in payload and b"\\u0000" not in payload
        assert len(payload) <= MAX_EVENT_BYTES + 100
