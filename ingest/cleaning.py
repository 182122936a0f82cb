"""Turning an item payload into JSON that every later reader can trust.

Fast path: simdjson validates the bytes as they are (valid UTF-8, no NaN, no lone surrogates, no raw control
characters, no integer beyond 64 bits, at most 1,024 levels deep: a subset of what orjson, which digest reads
with, accepts), so they are stored unchanged unless an escaped NUL needs removing. It builds no Python objects:
ingest needs only the `event_id` of a payload it stores, and building and freeing a 24 KB event's objects with
orjson cost about a third of the server's CPU per request (bench/README.md, Ingest).

Anything simdjson refuses gets a second, lenient reading with the standard library (NaN and Infinity become
null, raw control characters in strings are allowed, UTF-8-encoded surrogates are let through) and is then
cleaned value by value: NUL removed, lone surrogates replaced by U+FFFD, non-finite numbers nulled. Postgres
jsonb and orjson both reject what is removed here, so nothing past this point has to care.
"""

import json
import math
import re
import threading
import uuid
from typing import NamedTuple

import orjson
import simdjson

from ingest.errors import BadRequest

SURROGATE = re.compile("[\ud800-\udfff]")
ESCAPED_NUL = b"\\u0000"
UTF8_BOM = b"\xef\xbb\xbf"  # simdjson skips it, orjson refuses it: the lenient reading decides
_local = threading.local()


class CleanPayload(NamedTuple):
    json: bytes  # what may be stored
    event_id: object  # the payload's `event_id` as sent: any JSON scalar, None when absent or not a scalar


def _parser() -> simdjson.Parser:
    # A parser reuses its buffers from one document to the next, and must not be shared by two threads.
    if not hasattr(_local, "parser"):
        _local.parser = simdjson.Parser()
    return _local.parser


def _validated_event_id(raw: bytes) -> tuple[bool, object]:
    """(True, the `event_id` value) if `raw` is strict JSON holding an object; (False, None) if it is not strict
    JSON (the lenient reading decides). Raises BadRequest for strict JSON that is not an object."""
    if raw.startswith(UTF8_BOM):
        return False, None
    try:
        document = _parser().parse(raw)
    except (ValueError, RuntimeError):  # invalid JSON or UTF-8 (ValueError), too deep or a big integer
        return False, None
    # The parser's next document overwrites this one's memory, so no proxy of it may outlive this call.
    if not isinstance(document, simdjson.Object):
        del document
        raise BadRequest("payload is not a JSON object")
    event_id = document.get("event_id")
    del document
    if isinstance(event_id, simdjson.Object | simdjson.Array):
        return True, None
    return True, event_id


def _lenient_loads(raw: bytes):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = raw.decode("utf-8", "surrogatepass")  # surrogates encoded as UTF-8: cleaned below
        except UnicodeDecodeError:
            raise BadRequest("payload is not valid UTF-8") from None
    try:
        return json.loads(text, strict=False, parse_constant=lambda _name: None)
    except RecursionError:
        raise BadRequest("payload is nested too deeply") from None
    except ValueError:
        raise BadRequest("payload is not valid JSON") from None


def _clean_text(text: str) -> str:
    if "\x00" in text:
        text = text.replace("\x00", "")
    return SURROGATE.sub("\ufffd", text)


def _clean(value):
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        return {_clean_text(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return float(value)  # what orjson makes of an integer beyond 64 bits
    return value


def dumps(data: dict) -> bytes:
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError:  # nesting deeper than orjson writes (it reads deeper than it writes)
        pass
    try:
        return json.dumps(data, ensure_ascii=False, allow_nan=False).encode()
    except RecursionError:  # deeper than the standard library writes too (about 990 levels)
        raise BadRequest("payload is nested too deeply") from None


def clean_payload(raw: bytes) -> CleanPayload:
    """The payload as JSON bytes that are safe to store, and its `event_id` as sent.

    Raises BadRequest for anything that is not a JSON object once read leniently.
    """
    if b"\x00" in raw:
        raw = raw.replace(b"\x00", b"")
    valid, event_id = _validated_event_id(raw)
    if valid and ESCAPED_NUL not in raw:
        return CleanPayload(raw, event_id)
    data = orjson.loads(raw) if valid else _lenient_loads(raw)
    if not isinstance(data, dict):
        raise BadRequest("payload is not a JSON object")
    try:
        data = _clean(data)
    except RecursionError:
        raise BadRequest("payload is nested too deeply") from None
    event_id = data.get("event_id")
    return CleanPayload(dumps(data), None if isinstance(event_id, dict | list) else event_id)


def with_event_id(payload: bytes, event_id: str) -> bytes:
    """Cleaned JSON bytes with their `event_id` replaced (a missing or malformed id is never stored)."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:  # what `dumps` wrote with the standard library: too deep for orjson
        data = json.loads(payload)
    data["event_id"] = event_id
    return dumps(data)


def parse_uuid(value) -> uuid.UUID | None:
    """A UUID from an untrusted value (32 hex digits, or the dashed form); None for anything else."""
    if not isinstance(value, str) or len(value) not in (32, 36):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
