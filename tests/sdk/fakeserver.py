"""Local stand-ins for a Sentry-compatible server, for the SDK's tests.

``FakeServer`` parses every envelope it receives and answers from a script of responses (default 200).
``BlackHole`` accepts connections and never answers. ``refused_port()`` is a port nobody listens on.
"""

from __future__ import annotations

import gzip
import http.server
import json
import socket
import threading
import time
from collections import deque


def parse_envelope(body: bytes) -> dict:
    header_line, _, rest = body.partition(b"\n")
    envelope = {"header": json.loads(header_line), "items": []}
    while rest.strip():
        item_header_line, _, rest = rest.partition(b"\n")
        item_header = json.loads(item_header_line)
        length = item_header["length"]
        payload, rest = rest[:length], rest[length:]
        assert rest[:1] in (b"\n", b""), "payload length does not match the item header"
        rest = rest[1:]
        envelope["items"].append((item_header, json.loads(payload)))
    return envelope


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients hanging up mid-request (processes exiting) are expected here


class FakeServer:
    def __init__(self):
        self.requests: list = []  # (path, headers dict, parsed envelope)
        self.responses: deque = deque()  # (status, headers) to answer, in order; then 200
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                envelope = parse_envelope(raw)
                with outer.lock:
                    outer.requests.append((self.path, dict(self.headers), envelope))
                    status, headers = outer.responses.popleft() if outer.responses else (200, {})
                body = json.dumps({"id": envelope["header"].get("event_id")}).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.port}/42"

    def respond(self, status: int, headers=None, times: int = 1) -> None:
        for _ in range(times):
            self.responses.append((status, headers or {}))

    @property
    def items(self) -> list:
        with self.lock:
            return [item for _, _, envelope in self.requests for item in envelope["items"]]

    def events(self) -> list:
        return [payload for header, payload in self.items if header["type"] == "event"]

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.01)
        raise AssertionError(f"expected {n} requests, got {len(self.requests)}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class BlackHole:
    """Accepts TCP connections and never reads or answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted: list = []
        self._stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        self.sock.settimeout(0.1)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(conn)

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.port}/42"

    def close(self):
        self._stop = True
        self.thread.join(1)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


def refused_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
