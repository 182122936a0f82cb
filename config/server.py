"""The production web server: uvicorn (httptools parser, uvloop) with bounds on slow and oversized requests.

    python -m config.server --host 0.0.0.0 --port 8000      # worker processes: WEB_CONCURRENCY (default 1)

compose.yaml, the Dockerfile, README.md and the end-to-end tests all run this module, so the server's options are
written once, here; arguments after the module name go to uvicorn's command line (`--host`, `--port`, `--workers`).

Why bounds of our own. uvicorn's httptools protocol puts no limit on a request head (llhttp parses any size, and
httptools keeps a header's value whole until it ends: a 64 MiB header cost 128 MB of memory) and arms no timer
until the first response is written, so a client trickling a head or a body, or sending nothing, holds a
connection open for ever. The alternatives each bound part of it (bench/README.md, Ingest, has the comparison):
uvicorn's h11 parser bounds the head (16 KiB) but arms no timer either, and is pure Python; hypercorn (h11 too)
bounds a head's size and time, but a body only per read, which a one-byte-a-second trickle never trips; granian
bounds the head and its read time but not a body's, and Channels' websockets are less proven on it. So the
production server stays uvicorn with httptools, and this subclass adds three bounds, keeping the rest of uvicorn:

- A request head larger than MAX_HEAD_BYTES is answered 431 and the connection closed. 64 KiB is twice what nginx
  accepts by default (4 x 8 KiB buffers) and four times h11's limit; an SDK's head is under 1 KiB, a browser's a
  few KiB with its cookies. Bytes are counted as they arrive (uvloop reads up to 250 KB at a time), so a refused
  head has held at most the bound and a read or two.
- A request head must be complete HEAD_TIMEOUT_SECONDS after its first byte (or after the connection was opened,
  for the first request); otherwise 408 and close. An SDK sends its head in one packet; 10 s covers a slow mobile
  link's retransmissions several times over. Keep-alive idleness between requests stays uvicorn's own timer (5 s).
- While a request body is being read, each BODY_WINDOW_SECONDS must bring BODY_WINDOW_MIN_BYTES more (or the end
  of the body); otherwise the connection is closed, which the application sees as a disconnect. A per-read idle
  timeout alone would let a one-byte-a-second trickle hold the connection for ever; 1 KiB per 10 s (100 bytes/s)
  is far below any working link, and a stall is cut after 10-20 s. A window that ends while the server itself is
  not reading (the application has not taken what came, or the client waits for `100 Continue`) is not held
  against the client.

Request bodies still stream to the application as they arrive (ingest enforces its 20 MiB cap while reading).
Websocket upgrades leave this protocol (the transport gets uvicorn's websocket protocol), and take no timer along.

This relies on HttpToolsProtocol's parser callbacks (on_message_begin, on_headers_complete, on_message_complete)
and its `cycle`, `flow`, `loop` and `transport` attributes, the same from uvicorn 0.36 (the first whose `--http`
takes a class's import path) to 0.54: the range pyproject.toml allows. tests/e2e/test_server_limits.py exercises
every bound against the real process, and passes on both ends of that range.
"""

import os
import sys

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 64 * 1024
HEAD_TIMEOUT_SECONDS = 10.0
BODY_WINDOW_SECONDS = 10.0
BODY_WINDOW_MIN_BYTES = 1024

OPTIONS = [
    "config.asgi:application",
    "--loop", "uvloop",
    "--http", "config.server:BoundedHttpToolsProtocol",
    "--ws", "websockets",
    "--lifespan", "on",  # config/asgi.py starts the spool replay at startup
    "--no-access-log",  # the reverse proxy logs requests; ingest counts outcomes per project
    "--no-proxy-headers",  # Django decides what to trust of X-Forwarded-Proto (TRUST_X_FORWARDED_PROTO)
]  # fmt: skip

# Where the parser is, as seen between reads: waiting for a request, reading its head, reading its body.
IDLE, HEAD, BODY = "idle", "head", "body"


def refusal(status: bytes, text: bytes) -> bytes:
    return (
        b"HTTP/1.1 %s\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s"
        % (status, len(text), text)
    )


HEAD_TOO_LARGE = refusal(b"431 Request Header Fields Too Large", b"Request header fields too large.")
HEAD_TOO_SLOW = refusal(b"408 Request Timeout", b"Request head not received in time.")


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stage = IDLE
        self.head_bytes = 0
        self.head_timer = None
        self.body_bytes = 0
        self.body_bytes_at_check = 0
        self.body_timer = None

    def connection_made(self, transport):
        super().connection_made(transport)
        # uvicorn arms its keep-alive timer only after a response: a connection that never sends a complete head
        # would otherwise stay open.
        self.head_timer = self.loop.call_later(HEAD_TIMEOUT_SECONDS, self.head_timed_out)

    def connection_lost(self, exc):
        self.cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        stage_before = self.stage
        super().data_received(data)
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            self.cancel_timers()  # refused by the parser, or upgraded to a websocket
            return
        # Timers are armed only when a read ends inside a head or a body: a request that arrives whole in one read
        # (nearly every SDK request) costs no timer.
        if self.stage == HEAD:
            if stage_before != BODY:  # a read that began inside a body also held the end of the previous request
                self.head_bytes += len(data)
                if self.head_bytes > MAX_HEAD_BYTES:
                    self.refuse(HEAD_TOO_LARGE, f"request head larger than {MAX_HEAD_BYTES} bytes")
                    return
            if self.head_timer is None:
                self.head_timer = self.loop.call_later(HEAD_TIMEOUT_SECONDS, self.head_timed_out)
        elif self.stage == BODY:
            if stage_before == BODY:
                self.body_bytes += len(data)
            if self.body_timer is None:
                self.body_bytes_at_check = self.body_bytes
                self.body_timer = self.loop.call_later(BODY_WINDOW_SECONDS, self.body_window_ended)

    # Parser callbacks, called from within super().data_received().
    def on_message_begin(self) -> None:
        self.stage = HEAD
        self.head_bytes = 0
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self.stage = BODY
        self.body_bytes = 0
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.stage = IDLE
        if self.body_timer is not None:
            self.body_timer.cancel()
            self.body_timer = None
        super().on_message_complete()

    # Timers and refusals.
    def head_timed_out(self) -> None:
        self.head_timer = None
        if self.stage == BODY:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined head is late while the previous response is still being written: close after that.
            self.cycle.keep_alive = False
            return
        if self.stage == HEAD:
            self.refuse(HEAD_TOO_SLOW, f"request head not complete in {HEAD_TIMEOUT_SECONDS:g} s")
        else:
            self.refuse(b"", f"no request in {HEAD_TIMEOUT_SECONDS:g} s on a new connection")

    def body_window_ended(self) -> None:
        self.body_timer = None
        if self.stage != BODY:
            return
        server_not_reading = self.flow.read_paused or (self.cycle is not None and self.cycle.waiting_for_100_continue)
        if server_not_reading or self.body_bytes - self.body_bytes_at_check >= BODY_WINDOW_MIN_BYTES:
            self.body_bytes_at_check = self.body_bytes
            self.body_timer = self.loop.call_later(BODY_WINDOW_SECONDS, self.body_window_ended)
            return
        # The application's next receive() is an http.disconnect.
        self.refuse(b"", f"request body brought less than {BODY_WINDOW_MIN_BYTES} bytes in {BODY_WINDOW_SECONDS:g} s")

    def refuse(self, response: bytes, reason: str) -> None:
        self.logger.info("Closing a connection from %s: %s.", self.client and self.client[0], reason)
        self.cancel_timers()
        if response and (self.cycle is None or self.cycle.response_complete):
            self.transport.write(response)
        self.transport.close()

    def cancel_timers(self) -> None:
        for timer in (self.head_timer, self.body_timer):
            if timer is not None:
                timer.cancel()
        self.head_timer = self.body_timer = None


def main(argv: list[str] | None = None) -> None:
    # Its processes (uvicorn's workers inherit the environment) count Prometheus metrics into the shared files: see
    # config/settings.py, METRICS_PROCESS.
    os.environ["TRACEHOUND_WEB_SERVER"] = "1"
    uvicorn.main([*OPTIONS, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
