"""Fixtures for the alert channels: real local servers that play Slack, Discord, a webhook receiver and an SMTP
server, on 127.0.0.1 with free ports, and a guard that fails a test whose code tries to connect anywhere else."""

import email.utils
import ipaddress
import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Every connection these tests make stays on this machine: a refused address that the guard let through by
    mistake would otherwise send traffic to a real network. Such an attempt fails the test loudly."""
    attempts = []
    original = socket.socket.connect

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0].split("%")[0]
            if not ipaddress.ip_address(host).is_loopback:
                attempts.append(address)
                raise AssertionError(f"a test tried to connect to {address}, outside this machine")
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield
    assert attempts == []


@pytest.fixture
def allow_loopback(settings):
    """The local servers live on 127.0.0.1, which the guard refuses unless allowed."""
    settings.TRACEHOUND = {**settings.TRACEHOUND, "ALERT_ALLOWED_NETWORKS": ["127.0.0.1/32"]}


class Recorded:
    def __init__(self, method, path, headers, body):
        self.method, self.path, self.headers, self.body = method, path, headers, body

    def json(self):
        return json.loads(self.body)


class Receiver:
    """One local HTTP server whose paths behave like the receivers of alerts, good and bad:

    /ok, /slack (200 "ok"), /discord (204), /hang (never answers), /trickle (one byte every 0.2 s), /500,
    /503 (Retry-After as a date), /slack-404 ("no_service"), /discord-404 (Discord's JSON), /429 (Retry-After: 7),
    /redirect (301 to /ok), /big-500 (a 500 with a megabyte of body), /not-http (a line that is not HTTP),
    /close (hangs up), /raw (the bytes in `raw`, whatever they are).
    """

    def __init__(self, tls=None, address="127.0.0.1"):
        self.requests: list[Recorded] = []
        self.stop = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append(Recorded("POST", self.path, self.headers, body))
                behaviour = getattr(receiver, "answer_" + self.path.split("?")[0].strip("/").replace("-", "_"), None)
                (behaviour or receiver.answer_ok)(self)

        server_class = ThreadingHTTPServer
        if ":" in address:
            server_class = type("IPv6Server", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
        self.server = server_class((address, 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/ok", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def reply(handler, status: int, body: bytes = b"", headers: dict | None = None):
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(body)

    def answer_ok(self, handler):
        self.reply(handler, 200, b"ok", {"Content-Type": "text/plain"})

    answer_slack = answer_ok

    def answer_discord(self, handler):
        self.reply(handler, 204)

    def answer_hang(self, handler):
        self.stop.wait(60)

    def answer_trickle(self, handler):
        answer = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * 300 + b"\r\nContent-Length: 2\r\n\r\nok"
        for byte in answer:
            if self.stop.wait(0.2):
                return
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:
                return

    def answer_500(self, handler):
        self.reply(handler, 500, b"internal error")

    def answer_503(self, handler):
        later = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
        self.reply(handler, 503, b"maintenance", {"Retry-After": later})

    def answer_slack_404(self, handler):
        self.reply(handler, 404, b"no_service", {"Content-Type": "text/plain"})

    def answer_discord_404(self, handler):
        self.reply(handler, 404, b'{"message": "Unknown Webhook", "code": 10015}', {"Content-Type": "application/json"})

    def answer_429(self, handler):
        self.reply(handler, 429, b"slow down", {"Retry-After": "7"})

    def answer_redirect(self, handler):
        self.reply(handler, 301, b"", {"Location": self.url("/ok")})

    def answer_big_500(self, handler):
        self.reply(handler, 500, b"E" * 1_000_000)

    def answer_not_http(self, handler):
        handler.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")

    raw = b""  # what /raw answers, as it is

    def answer_raw(self, handler):
        handler.close_connection = True
        handler.wfile.write(self.raw)

    def answer_close(self, handler):
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def receiver(allow_loopback):
    server = Receiver()
    yield server
    server.close()


class SMTPRecorder:
    """An aiosmtpd handler that keeps what it receives, or refuses recipients with a chosen reply."""

    def __init__(self):
        self.envelopes = []
        self.rcpt_reply = ""  # e.g. "451 4.3.0 try again later" or "550 5.1.1 no such user"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    handler = SMTPRecorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "alerts@tracehound.test"
    yield handler
    controller.stop()


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never says a word (an SMTP server that does not greet)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.fixture
def full_backlog():
    """A port whose listen queue is full: connections to it neither succeed nor fail, they wait (a connect
    timeout, without leaving this machine)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    filler = socket.create_connection(listener.getsockname(), timeout=2)
    yield listener.getsockname()[1]
    filler.close()
    listener.close()
