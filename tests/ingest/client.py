"""Calling the ingest ASGI application in-process, with the body fed in chunks as a server would."""

import json
from collections.abc import Iterable
from dataclasses import dataclass

from asgiref.sync import async_to_sync

from ingest.endpoint import application


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    body_reads: int  # how many body messages the application asked for

    @property
    def json(self):
        return json.loads(self.body)


async def _call(method, path, headers, chunks, query_string):
    sent, reads = [], 0
    chunk_iterator = iter(chunks)
    pending = next(chunk_iterator, None)

    async def receive():
        nonlocal pending, reads
        reads += 1
        body, pending = pending, next(chunk_iterator, None)
        return {"type": "http.request", "body": body or b"", "more_body": pending is not None}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query_string,
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }
    await application(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    response_headers = {name.decode(): value.decode() for name, value in start["headers"]}
    return Response(start["status"], response_headers, body, reads)


def call(
    path: str,
    body: bytes | Iterable[bytes] = b"",
    headers: dict | None = None,
    method: str = "POST",
    query_string: bytes = b"",
) -> Response:
    chunks = [body] if isinstance(body, bytes) else body
    return async_to_sync(_call)(method, path, headers or {}, chunks, query_string)


def auth(project_key) -> dict:
    return {"X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={project_key.public_key}, sentry_client=test/1"}


def envelope(*items: tuple[dict, bytes], header: dict | None = None, lengths: bool = True) -> bytes:
    """An envelope of (item header, payload) pairs; `length` is added to each item header unless told not to."""
    parts = [json.dumps(header or {}).encode()]
    for item_header, payload in items:
        item_header = {**item_header, "length": len(payload)} if lengths else item_header
        parts += [json.dumps(item_header).encode(), payload]
    return b"\n".join(parts) + b"\n"


def event_envelope(event: dict | bytes, **kwargs) -> bytes:
    payload = event if isinstance(event, bytes) else json.dumps(event).encode()
    return envelope(({"type": "event"}, payload), **kwargs)
