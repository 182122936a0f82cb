"""Turning an item payload into JSON that every later reader can trust.

Fast path: orjson accepts the bytes as they are (valid UTF-8, no NaN, no lone surrogates, no raw control
characters), so they are stored unchanged unless an escaped NUL needs removing. Anything orjson refuses gets a
second, lenient reading with the standard library (NaN and Infinity become null, raw control characters in
strings are allowed, UTF-8-encoded surrogates are let through) and is then cleaned value by value: NUL removed,
lone surrogates replaced by U+FFFD, non-finite numbers nulled. Postgres jsonb and orjson both reject what is
removed here, so nothing past this point has to care.
"""

import json
import math
import re
import uuid

import orjson

from ingest.errors import BadRequest

SURROGATE = re.compile("[\ud800-\udfff]")
ESCAPED_NUL = b"\\u0000"


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
        return json.dumps(data, ensure_ascii=False, allow_nan=False).encode()


def clean_payload(raw: bytes) -> tuple[dict, bytes | None]:
    """The payload as a JSON object, and bytes that may be stored as they are (None: serialise `data` again).

    Raises BadRequest for anything that is not a JSON object once read leniently.
    """
    if b"\x00" in raw:
        raw = raw.replace(b"\x00", b"")
    try:
        data = orjson.loads(raw)
        needs_cleaning = ESCAPED_NUL in raw
    except orjson.JSONDecodeError:
        data = _lenient_loads(raw)
        needs_cleaning = True
    if not isinstance(data, dict):
        raise BadRequest("payload is not a JSON object")
    if not needs_cleaning:
        return data, raw
    try:
        return _clean(data), None
    except RecursionError:
        raise BadRequest("payload is nested too deeply") from None


def parse_uuid(value) -> uuid.UUID | None:
    """A UUID from an untrusted value (32 hex digits, or the dashed form); None for anything else."""
    if not isinstance(value, str) or len(value) not in (32, 36):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
