"""What config/server.py's request bounds cost per request, measured in-process, without sockets or a database.

The ingest benchmark measures whole requests, whose cost moves by more from one minute to the next on this machine
than the bounds could add. Here uvicorn's httptools protocol and the bounded subclass each serve the same ingest
request (head and 3.6 KB body in one read, as an SDK sends it) many times over one keep-alive connection, with a
minimal application that reads the body and answers 200; the rounds alternate the two protocols.

    .venv/bin/python bench/server_bounds_overhead.py [--requests 20000] [--rounds 5]
"""

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import uvloop
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.server import BoundedHttpToolsProtocol  # noqa: E402

BODY = os.urandom(3600)
REQUEST = (
    b"POST /api/1/envelope/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Sentry-Auth: Sentry sentry_version=7, "
    b"sentry_key=0123456789abcdef0123456789abcdef, sentry_client=sentry.python/2.19.0\r\n"
    b"Content-Type: application/x-sentry-envelope\r\nContent-Encoding: br\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
)


async def application(scope, receive, send):
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"{}"})


class Transport:
    """The part of an asyncio transport uvicorn's protocol uses; counts the responses written."""

    def __init__(self):
        self.protocol = None
        self.responses = 0
        self.closing = False

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def write(self, data):
        if data.startswith(b"HTTP/1.1 200"):
            self.responses += 1

    def is_closing(self):
        return self.closing

    def close(self):
        self.closing = True

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass

    def get_protocol(self):
        return self.protocol

    def set_protocol(self, protocol):
        self.protocol = protocol


async def serve(protocol_class, requests: int) -> float:
    """CPU seconds per request for `requests` requests over one connection."""
    config = Config(app=application, http=protocol_class, lifespan="off", log_level="warning", access_log=False)
    config.load()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = Transport()
    transport.set_protocol(protocol)
    protocol.connection_made(transport)
    started = time.process_time()
    for n in range(requests):
        protocol.data_received(REQUEST)
        while transport.responses <= n:
            await asyncio.sleep(0)
    elapsed = time.process_time() - started
    assert not transport.closing, "the connection was closed"
    protocol.connection_lost(None)
    return elapsed / requests


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print("| round | uvicorn httptools us/request | bounded us/request | difference us |")
    print("|---|---|---|---|")
    for round_number in range(1, args.rounds + 1):
        plain = uvloop.run(serve(HttpToolsProtocol, args.requests))
        bounded = uvloop.run(serve(BoundedHttpToolsProtocol, args.requests))
        print(
            f"| {round_number} | {plain * 1e6:.1f} | {bounded * 1e6:.1f} | {(bounded - plain) * 1e6:+.1f} |", flush=True
        )


if __name__ == "__main__":
    main()
