"""The Sentry ingest endpoints as a lean ASGI application.

POST /api/<project_id>/envelope/ and /api/<project_id>/store/, and OPTIONS on both for browser SDKs. config/asgi.py
sends these paths here and everything else to Django.

Why not a Django view: Django under ASGI costs about 0.7 ms of CPU per request before the view runs, a bare ASGI
handler about 0.13 ms (DESIGN.md), and the budget is 2,000 accepted events/s on 2 cores that Postgres shares. The
endpoints need none of what Django's stack adds (sessions, CSRF, which does not apply to key-authenticated
clients, templates, host checks: the DSN key is the authority), so they skip it. They still use Django for what
matters: settings, the database connection (in the inbox writer's thread) and the cache. Measured figures:
bench/README.md.

The order of checks follows the cost of answering: project id and key (no body read), quota (429 before the body
is read), then the body, streamed through a capped decoder into the envelope parser (413/400), then the durable
accept. Every refusal is an IngestError, turned into a response and an outcome count in one place below.
"""

import asyncio
import logging
import re
import time
import uuid
from datetime import UTC, datetime

import orjson
from asgiref.sync import sync_to_async
from django.db import DatabaseError

from ingest import metrics, outcomes, spool
from ingest.auth import key_from_dsn, key_from_request
from ingest.cleaning import clean_payload, parse_uuid, with_event_id
from ingest.decoding import decoder_for, unwrap_store_body
from ingest.envelope import EnvelopeParser
from ingest.errors import BadRequest, Forbidden, IngestError, TooLarge, Unauthorized, Unavailable
from ingest.inbox import writer
from ingest.limits import MAX_ENVELOPE_BYTES, MAX_ENVELOPE_COMPRESSED_BYTES, MAX_EVENT_BYTES
from ingest.quotas import gate
from ingest.rows import InboxRow
from issues.models import InboxItem
from projects.keys import KeyGrant, cached_grant, grant_while_database_is_down, project_for_key
from projects.outage_log import OutageLog

log = logging.getLogger(__name__)
key_check_outage = OutageLog(log, "ingest: checking a key not seen before")

PATH = re.compile(r"/api/([^/]*)/(envelope|store)/?")
PROJECT_ID = re.compile(r"0*([1-9][0-9]{0,17})")
# A commit normally takes a millisecond; past this the request spools its rows itself rather than risk the
# client timing out (a row both committed and spooled is stored once: the insert ignores duplicates).
COMMIT_WAIT_SECONDS = 10.0
# A base64 body is 4/3 of the JSON it carries; allow for that before the event cap applies to the JSON.
MAX_STORE_BODY_BYTES = MAX_EVENT_BYTES * 4 // 3 + 1024

CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"x-sentry-error, x-sentry-rate-limits, retry-after"),
]
PREFLIGHT_HEADERS = [
    (b"access-control-allow-methods", b"POST, OPTIONS"),
    (b"access-control-allow-headers", b"x-sentry-auth, content-type, content-encoding, sentry-trace, baggage"),
    (b"access-control-max-age", b"86400"),
]
# Item types counted and dropped, and the outcome each is counted as (check-ins are kept: monitors/ reads them).
SKIPPED_OUTCOMES = {
    "session": "session",
    "sessions": "session",
    "client_report": "client_report",
    "attachment": "attachment",
    "transaction": "transaction",
}


def is_ingest_path(path: str) -> bool:
    return path.startswith("/api/") and PATH.fullmatch(path) is not None


class ClientGone(Exception):
    pass


class IngestRequest:
    def __init__(self, scope, receive):
        self.scope = scope
        self.receive = receive
        self.grant: KeyGrant | None = None
        self.headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}

    async def handle(self) -> dict:
        project_text, endpoint = PATH.fullmatch(self.scope["path"]).groups()
        project_match = PROJECT_ID.fullmatch(project_text)
        if project_match is None:
            raise BadRequest("invalid project id")
        project_id = int(project_match.group(1))
        public_key = key_from_request(self.headers.get("x-sentry-auth"), self.scope.get("query_string", b""))
        if public_key is not None:
            await self.authorise(project_id, public_key)
        elif endpoint == "store":
            raise Unauthorized("no sentry_key in X-Sentry-Auth or the query string")
        decoder = decoder_for(self.headers.get("content-encoding", ""))
        if endpoint == "envelope":
            return await self.envelope(project_id, decoder)
        return await self.store(decoder)

    async def authorise(self, project_id: int, public_key: str) -> None:
        hit, grant = cached_grant(project_id, public_key)
        if not hit:
            try:
                grant = await sync_to_async(project_for_key)(project_id, public_key)
            except DatabaseError:
                # The database is down: a key seen before, here or by another process, still counts (its events go
                # to the disk spool).
                hit, grant = await sync_to_async(grant_while_database_is_down)(project_id, public_key)
                if not hit:
                    key_check_outage.failed(Unavailable("no database, and the key is not in any cache"))
                    raise Unavailable("cannot check the key right now") from None
        if grant is None:
            raise Forbidden("unknown or revoked key, or a key of another project")
        self.grant = grant
        gate.admit(grant)

    async def decoded_body(self, decoder):
        """The request body decoded, in bounded pieces, under the compressed and decompressed caps."""
        received = decoded = 0
        more = True
        while more:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientGone()
            chunk = message.get("body", b"")
            more = message.get("more_body", False)
            received += len(chunk)
            metrics.received_bytes.inc(len(chunk))
            if received > MAX_ENVELOPE_COMPRESSED_BYTES:
                raise TooLarge(f"body larger than {MAX_ENVELOPE_COMPRESSED_BYTES} bytes")
            for piece in decoder.feed(chunk):
                decoded += len(piece)
                if decoded > MAX_ENVELOPE_BYTES:
                    raise TooLarge(f"body larger than {MAX_ENVELOPE_BYTES} bytes once decompressed")
                yield piece
        for piece in decoder.finish():
            yield piece

    async def envelope(self, project_id: int, decoder) -> dict:
        parser = EnvelopeParser()
        async for piece in self.decoded_body(decoder):
            parser.feed(piece)
            if self.grant is None and parser.header is not None:
                await self.authorise(project_id, key_from_dsn(parser.header.get("dsn")))
        try:
            parser.finish()
        except BadRequest:
            if self.grant is None and parser.header is None:
                raise Unauthorized("no sentry_key in X-Sentry-Auth, the query string or the envelope header") from None
            raise
        if self.grant is None:
            await self.authorise(project_id, key_from_dsn(parser.header.get("dsn")))
        answer = {}
        # Cleaned before anything is committed, so that a malformed check-in refuses the envelope as a whole.
        check_ins = self.check_in_rows(payload for item_type, payload in parser.kept if item_type == "check_in")
        for item_type, payload in parser.kept:  # the event, if the envelope has one
            if item_type == "event":
                answer["id"] = (await self.accept(payload, parse_uuid(parser.header.get("event_id")))).hex
        if check_ins:
            await self.accept_check_ins(check_ins)
        for item_type, n in parser.skipped.items():
            outcomes.count(self.grant.project_id, SKIPPED_OUTCOMES.get(item_type, "skipped"), n)
        return answer

    async def store(self, decoder) -> dict:
        body = bytearray()
        async for piece in self.decoded_body(decoder):
            body += piece
            if len(body) > MAX_STORE_BODY_BYTES:
                raise TooLarge(f"event larger than {MAX_EVENT_BYTES} bytes")
        payload = unwrap_store_body(bytes(body), MAX_EVENT_BYTES)
        if len(payload) > MAX_EVENT_BYTES:
            raise TooLarge(f"event larger than {MAX_EVENT_BYTES} bytes")
        if not payload.strip():
            raise BadRequest("empty body")
        event_id = await self.accept(payload, None)
        return {"id": event_id.hex}

    async def accept(self, raw: bytes, header_event_id: uuid.UUID | None) -> uuid.UUID:
        """Clean the event, commit it durably, count it; returns its id."""
        project_id = self.grant.project_id
        stored, sent_id = clean_payload(raw)
        event_id = parse_uuid(sent_id)
        if event_id is None:
            # A missing or malformed id (say "../../x") is replaced, never used; the stored JSON says so too.
            event_id = header_event_id or uuid.uuid4()
            stored = with_event_id(stored, event_id.hex)
        # Packed here, not on the writer thread: every request does its own share in parallel with the others,
        # while the writer thread is the one place a process's commits pass through.
        row = InboxRow(project_id, InboxItem.ItemType.EVENT, event_id, datetime.now(UTC), InboxItem.pack(stored))
        if not await self.commit([row]):
            raise Unavailable("cannot store events right now")
        outcomes.count(project_id, outcomes.ACCEPTED)
        return event_id

    def check_in_rows(self, items) -> list[InboxRow]:
        """Check-ins as inbox rows for monitors/ to read. Each gets an inbox id of its own: a job's in-progress and
        finishing check-ins share their `check_in_id`, and both must be kept."""
        now, kind = datetime.now(UTC), InboxItem.ItemType.CHECK_IN
        return [
            InboxRow(self.grant.project_id, kind, uuid.uuid4(), now, InboxItem.pack(clean_payload(raw).json))
            for raw in items
        ]

    async def accept_check_ins(self, rows: list[InboxRow]) -> None:
        if not await self.commit(rows):
            raise Unavailable("cannot store check-ins right now")
        outcomes.count(self.grant.project_id, "check_in", len(rows))

    async def commit(self, rows: list[InboxRow]) -> bool:
        try:
            async with asyncio.timeout(COMMIT_WAIT_SECONDS):
                return await writer.submit(rows)
        except TimeoutError:
            log.warning("ingest: the inbox writer is stuck; spooling %d items from the request", len(rows))
            return await asyncio.get_running_loop().run_in_executor(None, spool.spool_rows, rows)


async def respond(send, status: int, payload: dict, headers: list[tuple[bytes, bytes]]) -> None:
    body = orjson.dumps(payload)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *CORS_HEADERS,
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def application(scope, receive, send) -> None:
    if scope["method"] == "OPTIONS":
        await respond(send, 200, {}, PREFLIGHT_HEADERS)
        return
    if scope["method"] != "POST":
        await respond(send, 405, {"detail": "method not allowed"}, [(b"allow", b"POST, OPTIONS")])
        return
    started = time.perf_counter()
    request = IngestRequest(scope, receive)
    try:
        payload = await request.handle()
    except ClientGone:
        metrics.requests.labels("client_gone").inc()
        return
    except IngestError as error:
        log.debug("ingest: %s %s: %s", error.status, scope["path"], error.detail)
        if request.grant is not None and error.outcome:
            outcomes.count(request.grant.project_id, error.outcome)
        await respond(send, error.status, {"detail": error.detail}, error.headers())
        metrics.requests.labels(error.reason).inc()
        metrics.duration.observe(time.perf_counter() - started)
        return
    await respond(send, 200, payload, [])
    metrics.requests.labels(outcomes.ACCEPTED).inc()
    metrics.duration.observe(time.perf_counter() - started)
