"""A push parser for Sentry envelopes, fed decoded bytes as they arrive.

Framing (develop.sentry.dev, "Envelopes"): one header line (a JSON object), then items. Each item is a header line
(a JSON object with a `type` and an optional `length`) and a payload: exactly `length` bytes followed by a newline
or the end of the body, or, without `length`, everything up to the next newline or the end. Only `\\n` ends a
line; a `\\r` before it belongs to the payload. Blank lines between items are tolerated.

Only the items that are stored are kept in memory, each under its cap: the event (at most one per envelope) and
check-ins (at most MAX_CHECK_INS, which monitors/ reads from the inbox). Every other item (attachments,
transactions, sessions, unknown types) is counted and its bytes discarded as they stream past, so memory stays
bounded whatever the body holds.
"""

from collections import Counter

import orjson

from ingest.errors import BadRequest, TooLarge
from ingest.limits import MAX_ENVELOPE_BYTES, MAX_EVENT_BYTES, MAX_HEADER_LINE_BYTES

# A check-in is a few hundred bytes; Sentry's own cap for one is far above that, and ours need not be.
MAX_CHECK_IN_BYTES = 64 * 1024
MAX_CHECK_INS = 100
KEPT_TYPES = {"event": MAX_EVENT_BYTES, "check_in": MAX_CHECK_IN_BYTES}  # item type -> its cap

ENVELOPE_HEADER, ITEM_HEADER, PAYLOAD, AFTER_PAYLOAD, DONE = range(5)


def parse_header_line(line: bytes, what: str) -> dict:
    try:
        header = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise BadRequest(f"{what} is not valid JSON") from None
    if not isinstance(header, dict):
        raise BadRequest(f"{what} is not a JSON object")
    return header


class EnvelopeParser:
    def __init__(self):
        self.header: dict | None = None
        self.kept: list[tuple[str, bytes]] = []  # (item type, payload) of the items to store
        self.skipped: Counter = Counter()  # item type -> how many were counted and discarded
        self._buffer = bytearray()
        self._scanned = 0  # how far the buffer is known to hold no newline
        self._state = ENVELOPE_HEADER
        self._item_type = ""
        self._item_limit: int | None = None  # the cap of a kept item; None for a skipped one
        self._remaining: int | None = None  # bytes of payload still due when the item declared its length

    def feed(self, data: bytes) -> None:
        self._buffer += data
        self._advance(eof=False)

    def finish(self) -> None:
        self._advance(eof=True)
        if self.header is None:
            raise BadRequest("empty body")

    def _take_line(self, eof: bool, limit: int, what: str) -> bytes | None:
        """The next line without its newline; at the end of the body, whatever is left. None: wait for more."""
        index = self._buffer.find(b"\n", self._scanned)
        if index >= 0:
            line = bytes(self._buffer[:index])
            del self._buffer[: index + 1]
            self._scanned = 0
        elif eof:
            line = bytes(self._buffer)
            self._buffer.clear()
            self._scanned = 0
        else:
            self._scanned = len(self._buffer)
            line = None
        if len(line if line is not None else self._buffer) > limit:
            raise TooLarge(f"{what} larger than {limit} bytes")
        return line

    def _advance(self, eof: bool) -> None:
        while True:
            if self._state == ENVELOPE_HEADER:
                if not self._buffer and eof:
                    return
                line = self._take_line(eof, MAX_HEADER_LINE_BYTES, "envelope header")
                if line is None:
                    return
                self.header = parse_header_line(line, "envelope header")
                self._state = ITEM_HEADER
            elif self._state == ITEM_HEADER:
                if not self._buffer:
                    if eof:
                        self._state = DONE
                    return
                line = self._take_line(eof, MAX_HEADER_LINE_BYTES, "item header")
                if line is None:
                    return
                if line.strip():
                    self._start_item(parse_header_line(line, "item header"))
            elif self._state == PAYLOAD:
                if not self._read_payload(eof):
                    return
            elif self._state == AFTER_PAYLOAD:
                if not self._buffer:
                    if eof:
                        self._state = DONE
                    return
                if self._buffer[0] != 0x0A:
                    raise BadRequest(f"{self._item_type} item is longer than its declared length")
                del self._buffer[:1]
                self._state = ITEM_HEADER
            else:
                if self._buffer.strip():
                    raise BadRequest("data after the end of the envelope")
                return

    def _start_item(self, header: dict) -> None:
        item_type = header.get("type")
        if not isinstance(item_type, str) or not item_type:
            raise BadRequest("item header without a type")
        length = header.get("length")
        if length is not None and (type(length) is not int or length < 0):
            raise BadRequest(f"{item_type} item has an invalid length")
        limit = KEPT_TYPES.get(item_type)
        if limit is not None:
            if length is not None and length > limit:
                raise TooLarge(f"{item_type} item larger than {limit} bytes")
            kept = sum(kept_type == item_type for kept_type, _ in self.kept)
            if item_type == "event" and kept:
                raise BadRequest("more than one event in the envelope")
            if kept >= MAX_CHECK_INS:
                raise BadRequest(f"more than {MAX_CHECK_INS} check-ins in the envelope")
        elif length is not None and length > MAX_ENVELOPE_BYTES:
            raise TooLarge(f"{item_type} item larger than the envelope limit")
        self._item_type, self._item_limit, self._remaining = item_type, limit, length
        self._state = PAYLOAD

    def _read_payload(self, eof: bool) -> bool:
        """Consume the current item's payload; False when more input is needed."""
        keep = self._item_limit is not None
        if self._remaining is not None:  # framed by length
            if keep:
                if len(self._buffer) < self._remaining:
                    if eof:
                        raise BadRequest(f"{self._item_type} item is shorter than its declared length")
                    return False
                self.kept.append((self._item_type, bytes(self._buffer[: self._remaining])))
                del self._buffer[: self._remaining]
            else:
                consumed = min(len(self._buffer), self._remaining)
                del self._buffer[:consumed]
                self._remaining -= consumed
                if self._remaining:
                    if eof:
                        raise BadRequest(f"{self._item_type} item is shorter than its declared length")
                    return False
                self.skipped[self._item_type] += 1
            self._state = AFTER_PAYLOAD
            return True
        if keep:  # framed by the next newline
            line = self._take_line(eof, self._item_limit, f"{self._item_type} item")
            if line is None:
                return False
            self.kept.append((self._item_type, line))
        else:
            index = self._buffer.find(b"\n")
            if index < 0:
                self._buffer.clear()
                if not eof:
                    return False
            else:
                del self._buffer[: index + 1]
            self.skipped[self._item_type] += 1
        self._state = ITEM_HEADER
        return True
