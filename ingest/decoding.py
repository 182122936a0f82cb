"""Content-Encoding decoders that never produce more than a small slice of output per step.

A decompression bomb is stopped by counting decoded bytes as they come out, so every decoder here must hand its
output over in bounded pieces: a 10 GB stream of zeros then costs one cap's worth of work and a flat amount of
memory. zlib and brotli bound their output natively; zstandard's streaming object does not, so its input is fed
in slices small enough that one slice cannot expand beyond a few MiB (zstd's ratio is at most about 32,000:1).
"""

import base64
import binascii
import zlib
from collections.abc import Iterator

import brotli
import zstandard

from ingest.errors import BadRequest, TooLarge

OUTPUT_STEP = 64 * 1024
ZSTD_INPUT_SLICE = 128  # 128 bytes can at most describe ~4 MiB of output


class Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def finish(self) -> Iterator[bytes]:
        return iter(())


class Zlib:
    """gzip, or deflate with or without the zlib wrapper (clients disagree on what `deflate` means)."""

    def __init__(self, gzip: bool):
        self._gzip = gzip
        self._decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS) if gzip else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._decompressor is None:
            if not data:
                return
            wrapped = (data[0] & 0x0F) == 8 and (data[0] >> 4) <= 7  # a zlib header: deflate, window <= 32 KiB
            self._decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        try:
            while data:
                if self._decompressor.eof:
                    raise BadRequest("data after the end of the compressed stream")
                piece = self._decompressor.decompress(data, OUTPUT_STEP)
                data = self._decompressor.unconsumed_tail
                if piece:
                    yield piece
        except zlib.error:
            raise BadRequest("corrupt compressed body") from None

    def finish(self) -> Iterator[bytes]:
        if self._decompressor is None or not self._decompressor.eof:
            raise BadRequest("truncated compressed body")
        if self._decompressor.unused_data:
            raise BadRequest("data after the end of the compressed stream")
        return iter(())


class Brotli:
    def __init__(self):
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            if data and self._decompressor.is_finished():
                raise BadRequest("data after the end of the compressed stream")
            piece = self._decompressor.process(data, output_buffer_limit=OUTPUT_STEP)
            if piece:
                yield piece
            # With the output buffer full, brotli keeps the rest of the input; drain it with empty input.
            while not self._decompressor.can_accept_more_data():
                piece = self._decompressor.process(b"", output_buffer_limit=OUTPUT_STEP)
                if not piece:
                    break
                yield piece
        except brotli.error:
            raise BadRequest("corrupt compressed body") from None

    def finish(self) -> Iterator[bytes]:
        if not self._decompressor.is_finished():
            raise BadRequest("truncated compressed body")
        return iter(())


class Zstd:
    def __init__(self):
        self._decompressor = zstandard.ZstdDecompressor().decompressobj()
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        view = memoryview(data)
        try:
            for start in range(0, len(view), ZSTD_INPUT_SLICE):
                if self._decompressor.eof:
                    raise BadRequest("data after the end of the compressed stream")
                self._started = True
                piece = self._decompressor.decompress(view[start : start + ZSTD_INPUT_SLICE])
                if piece:
                    yield piece
        except zstandard.ZstdError:
            raise BadRequest("corrupt compressed body") from None

    def finish(self) -> Iterator[bytes]:
        if not self._started or not self._decompressor.eof:
            raise BadRequest("truncated compressed body")
        if self._decompressor.unused_data:
            raise BadRequest("data after the end of the compressed stream")
        return iter(())


def decoder_for(content_encoding: str):
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return Identity()
    if encoding in ("gzip", "x-gzip"):
        return Zlib(gzip=True)
    if encoding == "deflate":
        return Zlib(gzip=False)
    if encoding == "br":
        return Brotli()
    if encoding == "zstd":
        return Zstd()
    raise BadRequest("unsupported content-encoding")


def unwrap_store_body(body: bytes, limit: int) -> bytes:
    """The JSON of a legacy /store/ body, which may also come base64-encoded, or zlib-compressed and then
    base64-encoded (older SDKs), with the zlib output capped at `limit` bytes."""
    stripped = body.strip()
    if stripped[:1] in (b"{", b""):
        return body
    try:
        decoded = base64.b64decode(stripped, validate=False)
    except binascii.Error:
        raise BadRequest("body is neither JSON nor base64") from None
    if decoded[:1] != b"x":  # not a zlib header: plain base64 JSON
        return decoded
    decompressor = zlib.decompressobj()
    try:
        payload = decompressor.decompress(decoded, limit + 1)
    except zlib.error:
        raise BadRequest("corrupt compressed body") from None
    if len(payload) > limit:
        raise TooLarge(f"event larger than {limit} bytes")
    if not decompressor.eof:
        raise BadRequest("truncated compressed body")
    return payload
