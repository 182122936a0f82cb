"""Requests to the server's ASGI application (config/asgi.py), as a load balancer or container probe sends them:
the whole HTTP path the server takes, without a server process. Only the HTTP part (`http_app`), not the wrapper
that starts the embedded shape's background threads."""

from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

from config.asgi import http_app


async def _request(path: str, host: str, scheme: str, method: str, headers: dict) -> tuple[int, dict, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", host.encode())] + [(name.encode(), value.encode()) for name, value in headers.items()],
        "client": ("10.0.0.9", 40000),
        "server": ("10.0.0.1", 8000),
    }
    communicator = ApplicationCommunicator(http_app, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(10)
    body = b""
    while True:
        message = await communicator.receive_output(10)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    return start["status"], {name.decode(): value.decode() for name, value in start["headers"]}, body


def request(path: str, host: str = "127.0.0.1", scheme: str = "http", method: str = "GET", headers: dict | None = None):
    """(status, headers, body) of one request."""
    return async_to_sync(_request)(path, host, scheme, method, headers or {})
