"""The bad-input contract: every refusal is a 4xx with a short JSON reason, decided as early as possible, and
nothing is stored. These requests never reach the inbox writer, so they run inside the test transaction."""

import gzip
import json
import time
import tracemalloc
import uuid
import zlib

import brotli
import pytest
import zstandard

from ingest.limits import MAX_ENVELOPE_COMPRESSED_BYTES, MAX_EVENT_BYTES
from issues.models import InboxItem
from projects.services import create_project
from tests.ingest.client import auth, call, envelope, event_envelope

pytestmark = pytest.mark.django_db

GOOD = event_envelope({"message": "fine"})


def path_of(project_key, endpoint="envelope"):
    return f"/api/{project_key.project_id}/{endpoint}/"


def assert_refused(response, status):
    assert response.status == status, response.body
    assert set(response.json) == {"detail"} and 0 < len(response.json["detail"]) < 120
    assert not InboxItem.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Sentry-Auth": "garbage"},
        {"X-Sentry-Auth": "Sentry sentry_version=7"},
        {"X-Sentry-Auth": "Sentry sentry_key="},
        {"X-Sentry-Auth": "Sentry sentry_key=../../etc/passwd"},
        {"X-Sentry-Auth": "Bearer abc"},
    ],
)
def test_missing_or_garbled_auth_is_401(project_key, headers):
    assert_refused(call(path_of(project_key), GOOD, headers), 401)
    assert_refused(call(path_of(project_key, "store"), b"{}", headers), 401)


def test_wrong_revoked_and_foreign_keys_get_the_same_403(team, project_key):
    _, other_key = create_project(team, "Other")
    revoked_project, revoked_key = create_project(team, "Revoked")
    revoked_key.revoke()
    answers = [
        call(path_of(project_key), GOOD, {"X-Sentry-Auth": f"Sentry sentry_key={uuid.uuid4().hex}"}),
        call(path_of(revoked_key), GOOD, auth(revoked_key)),
        call(path_of(project_key), GOOD, auth(other_key)),  # a real key, of another project
    ]
    for answer in answers:
        assert_refused(answer, 403)
    assert len({answer.body for answer in answers}) == 1


@pytest.mark.parametrize("project_id", ["0", "-1", "99999999999999999999999", "abc", "1e3", "%00", "", "١"])
def test_invalid_project_ids_are_refused(project_key, project_id):
    response = call(f"/api/{project_id}/envelope/", GOOD, auth(project_key))
    assert response.status in (400, 404)
    assert not InboxItem.objects.exists()


def test_an_unknown_project_id_with_a_valid_key_is_403(project_key):
    assert_refused(call("/api/999999/envelope/", GOOD, auth(project_key)), 403)


def too_big_event() -> bytes:
    return json.dumps({"message": "x" * (MAX_EVENT_BYTES + 10)}).encode()


@pytest.mark.parametrize("lengths", [True, False])
def test_an_event_over_1_mib_is_413(project_key, lengths):
    body = envelope(({"type": "event"}, too_big_event()), lengths=lengths)
    assert_refused(call(path_of(project_key), body, auth(project_key)), 413)


def test_a_declared_length_over_the_cap_is_413_before_the_payload_is_read(project_key):
    head = b'{}\n{"type":"event","length":5000000}\n'
    response = call(path_of(project_key), [head, b"{" * 65536, b"{" * 65536], auth(project_key))
    assert_refused(response, 413)
    assert response.body_reads == 1


def test_store_over_1_mib_is_413(project_key):
    assert_refused(call(path_of(project_key, "store"), too_big_event(), auth(project_key)), 413)


def test_a_compressed_body_over_20_mib_is_413_without_trusting_content_length(project_key):
    chunk = b"a" * (1024 * 1024)
    chunks = (chunk for _ in range(1000))  # a client that would send 1 GB
    headers = {**auth(project_key), "Content-Length": "10", "Content-Encoding": "identity"}
    response = call(path_of(project_key), chunks, headers)
    assert_refused(response, 413)
    assert response.body_reads <= MAX_ENVELOPE_COMPRESSED_BYTES // len(chunk) + 1


def test_skipped_items_still_count_against_the_100_mib_decompressed_cap(project_key):
    zeros = b"0" * (1024 * 1024)

    def body():
        compressor = zlib.compressobj()
        yield compressor.compress(b'{}\n{"type":"attachment"}\n')
        for _ in range(200):  # 200 MiB of one attachment line
            yield compressor.compress(zeros)
        yield compressor.flush()

    response = call(path_of(project_key), body(), {**auth(project_key), "Content-Encoding": "deflate"})
    assert_refused(response, 413)


def zlib_bomb(wbits):
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b"\0" * (4 * 1024 * 1024)
    for _ in range(2500):  # 10 GB, compressed lazily: the server stops reading long before the end
        yield compressor.compress(block)
    yield compressor.flush()


def brotli_bomb():
    # brotli stores 16 MiB of zeros in a few bytes; a stream of such meta-blocks is a 10 GB body.
    compressor = brotli.Compressor(quality=1)
    block = b"\0" * (16 * 1024 * 1024)
    for _ in range(640):
        yield compressor.process(block) + compressor.flush()
    yield compressor.finish()


def zstd_bomb():
    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    block = b"\0" * (16 * 1024 * 1024)
    for _ in range(640):
        yield compressor.compress(block)
    yield compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "bomb"),
    [
        ("gzip", lambda: zlib_bomb(16 + zlib.MAX_WBITS)),
        ("deflate", lambda: zlib_bomb(zlib.MAX_WBITS)),
        ("br", brotli_bomb),
        ("zstd", zstd_bomb),
    ],
)
def test_a_10_gb_bomb_is_413_within_a_second_with_flat_memory(project_key, encoding, bomb):
    headers = {**auth(project_key), "Content-Encoding": encoding}
    bombs = bomb()
    first = [next(bombs) for _ in range(3)]  # compressor start-up is the client's cost, not the server's

    def body():
        yield from first
        yield from bombs

    tracemalloc.start()
    started = time.monotonic()
    response = call(path_of(project_key), body(), headers)
    elapsed = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert_refused(response, 413)
    assert elapsed < 1.0
    assert peak < 40 * 1024 * 1024  # the client's own 16 MiB blocks included; the server holds ~1 MiB


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        (b"\x1f\x8b\x08\x00garbage-not-gzip", "gzip"),
        (gzip.compress(GOOD)[:-12], "gzip"),  # truncated
        (brotli.compress(GOOD)[:-3], "br"),
        (zstandard.ZstdCompressor().compress(GOOD)[:-3], "zstd"),
        (b"not zstd at all", "zstd"),
        (GOOD, "compress"),  # an encoding nobody supports
        (b"", ""),
        (b"\n\n", ""),
        (b"[]\n", ""),
        (b"{not json}\n", ""),
        (event_envelope(b'{"message": "\xff\xfe invalid utf-8"}'), ""),
        (event_envelope(b'{"message": '), ""),
        (event_envelope(b"[1, 2, 3]"), ""),
        (event_envelope(b'"a string"'), ""),
        (event_envelope(b'\xef\xbb\xbf{"message": "a byte order mark"}'), ""),
        (event_envelope(b"[" * 100_000 + b"]" * 100_000), ""),
        (event_envelope(b'{"a":' * 100_000 + b"1" + b"}" * 100_000), ""),
        (b'{}\n{"type":"event","length":100}\n{"message":"short"}\n', ""),  # length longer than payload
        (b'{}\n{"type":"event","length":3}\n{"message":"long"}\n', ""),  # length shorter than payload
        (b'{}\n{"type":"attachment","length":100}\nshort\n', ""),
        (b'{}\n{"type":"event","length":-1}\n{}\n', ""),
        (b'{}\n{"type":"event","length":"2"}\n{}\n', ""),
        (b'{}\n{"length":2}\n{}\n', ""),
        (b'{}\n"just a string"\n', ""),
        (envelope(({"type": "event"}, b"{}"), ({"type": "event"}, b"{}")), ""),  # two events
        (event_envelope(b""), ""),
    ],
)
def test_malformed_bodies_are_400_with_a_reason(project_key, body, encoding):
    assert_refused(call(path_of(project_key), body, {**auth(project_key), "Content-Encoding": encoding}), 400)


@pytest.mark.parametrize("body", [b"", b"\xff\xfe", b"[1]", b"!!!not base64!!!", b"eJzLSM3JyQcABiwCFQ"])
def test_malformed_store_bodies_are_400(project_key, body):
    assert_refused(call(path_of(project_key, "store"), body, auth(project_key)), 400)


def test_preflight_allows_browser_sdks(project_key):
    response = call(path_of(project_key), method="OPTIONS")
    assert response.status == 200
    assert response.headers["access-control-allow-origin"] == "*"
    allowed = {name.strip() for name in response.headers["access-control-allow-headers"].split(",")}
    assert {"x-sentry-auth", "content-type", "content-encoding", "sentry-trace", "baggage"} <= allowed
    assert call(path_of(project_key), method="GET").status == 405
