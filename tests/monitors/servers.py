"""Real local HTTP and HTTPS servers for the uptime checks' tests: a health page that says ok or degraded, errors,
redirects, a page that never answers, and TLS with certificates made by the test's own authority."""

import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Site:
    """Paths: /health (200 "status: ok"), /degraded (200 "status: degraded"), /500, /redirect (302 to /health),
    /loop (302 to itself), /hang (never answers), /echo (200 with the method, headers and body it got)."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        site = self
        self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body=b"", headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                site.requests.append((self.command, self.path, dict(self.headers), body))
                if self.path == "/health":
                    self.answer(200, b"<html>status: ok</html>")
                elif self.path == "/degraded":
                    self.answer(200, b"<html>status: degraded</html>")
                elif self.path == "/500":
                    self.answer(500, b"boom")
                elif self.path == "/redirect":
                    self.answer(302, headers={"Location": "/health"})
                elif self.path == "/loop":
                    self.answer(302, headers={"Location": "/loop"})
                elif self.path == "/hang":
                    time.sleep(5)
                else:
                    self.answer(200, f"{self.command} {self.headers.get('X-Check', '')} ".encode() + body)

            do_GET = do_HEAD = do_POST = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.server.server_address[1]}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
