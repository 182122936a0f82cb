"""What an accepted request stores: framing, encodings, item types, cleaning, ids, duplicates, outcome counts."""

import base64
import gzip
import json
import uuid
import zlib

import brotli
import orjson
import pytest
import zstandard
from django.core.management import call_command

from ingest import outcomes
from ingest.inbox import writer
from issues.models import ZSTD_MAGIC, InboxItem
from projects.models import IngestOutcome
from tests.ingest.client import auth, call, envelope, event_envelope

pytestmark = pytest.mark.usefixtures("committed")


def envelope_path(project_key):
    return f"/api/{project_key.project_id}/envelope/"


def stored(project_key):
    return list(InboxItem.objects.filter(project_id=project_key.project_id).order_by("id"))


def test_an_event_is_committed_before_the_answer_and_the_id_echoed(project_key):
    event_id = uuid.uuid4().hex
    response = call(
        envelope_path(project_key), event_envelope({"event_id": event_id, "message": "hi"}), auth(project_key)
    )
    assert response.status == 200
    assert response.json == {"id": event_id}
    [item] = stored(project_key)  # already there: the answer waited for the commit
    assert item.event_id.hex == event_id
    assert bytes(item.payload).startswith(ZSTD_MAGIC)  # stored packed: most of a commit's cost is its bytes
    assert orjson.loads(InboxItem.unpack(item.payload)) == {"event_id": event_id, "message": "hi"}
    assert response.headers["access-control-allow-origin"] == "*"


def test_the_key_may_come_from_the_query_string_or_the_envelope_header(project_key):
    by_query = call(
        envelope_path(project_key),
        event_envelope({"message": "q"}),
        query_string=f"sentry_key={project_key.public_key}&sentry_version=7".encode(),
    )
    by_dsn = call(
        envelope_path(project_key),
        event_envelope({"message": "d"}, header={"dsn": f"http://{project_key.public_key}@example.com/1"}),
    )
    assert (by_query.status, by_dsn.status) == (200, 200)
    assert sorted(orjson.loads(InboxItem.unpack(item.payload))["message"] for item in stored(project_key)) == ["d", "q"]


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


ENCODINGS = [
    ("", lambda data: data),
    ("identity", lambda data: data),
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", raw_deflate),
    ("br", brotli.compress),
    ("zstd", zstandard.ZstdCompressor().compress),
]


def test_every_content_encoding_is_decoded_even_in_tiny_chunks(project_key):
    # One test for all encodings: each committed test costs a table flush.
    for n, (encoding, compress) in enumerate(ENCODINGS):
        body = compress(event_envelope({"message": f"via {n} {encoding}", "extra": {"pad": "x" * 5000}}))
        chunks = [body[i : i + 7] for i in range(0, len(body), 7)]  # chunked transfer, no Content-Length
        response = call(envelope_path(project_key), chunks, {**auth(project_key), "Content-Encoding": encoding})
        assert response.status == 200, (encoding, response.body)
        assert orjson.loads(InboxItem.unpack(stored(project_key)[-1].payload))["message"] == f"via {n} {encoding}"


def test_store_endpoint_takes_json_base64_and_base64_zlib(project_key):
    path = f"/api/{project_key.project_id}/store/"
    event = json.dumps({"message": "stored"}).encode()
    bodies = [event, base64.b64encode(event), base64.b64encode(zlib.compress(event))]
    ids = [call(path, body, auth(project_key)).json["id"] for body in bodies]
    items = stored(project_key)
    assert sorted(item.event_id.hex for item in items) == sorted(ids)
    assert all(orjson.loads(InboxItem.unpack(item.payload))["message"] == "stored" for item in items)


def test_framing_item_types_and_what_is_kept(project_key):
    check_in = {"check_in_id": uuid.uuid4().hex, "monitor_slug": "nightly", "status": "ok"}
    body = envelope(
        ({"type": "attachment", "filename": "a.txt"}, b"line one\r\nline two"),
        ({"type": "session"}, b'{"sid": "x"}'),
        ({"type": "client_report"}, b"{}"),
        ({"type": "transaction"}, b'{"type": "transaction"}'),
        ({"type": "some_future_type"}, b"\x00\xff binary"),
        ({"type": "check_in"}, json.dumps(check_in).encode()),
        ({"type": "event"}, b'{"message": "carriage\\r", "extra": {"cr": "a\\rb"}}'),
        header={"event_id": uuid.uuid4().hex},
    )
    response = call(envelope_path(project_key), body, auth(project_key))
    assert response.status == 200
    # Only the event and the check-in (for monitors) are stored; everything else is counted.
    [event] = [item for item in stored(project_key) if item.item_type == "event"]
    [kept_check_in] = [item for item in stored(project_key) if item.item_type == "check_in"]
    assert InboxItem.objects.count() == 2
    assert orjson.loads(InboxItem.unpack(kept_check_in.payload)) == check_in
    assert orjson.loads(InboxItem.unpack(event.payload))["extra"] == {"cr": "a\rb"}
    outcomes.flush()
    assert dict(IngestOutcome.objects.filter(project_id=project_key.project_id).values_list("outcome", "count")) == {
        "accepted": 1,
        "attachment": 1,
        "session": 1,
        "client_report": 1,
        "transaction": 1,
        "skipped": 1,
        "check_in": 1,
    }

    # Without `length`, a payload runs to the next newline: a `\r` before it is part of the payload.
    unframed = b'{}\n{"type":"event"}\n{"event_id":"%s"}\r\n' % uuid.uuid4().hex.encode()
    assert call(envelope_path(project_key), unframed, auth(project_key)).status == 200
    assert InboxItem.unpack(stored(project_key)[-1].payload).endswith(b"}\r")
    # And the last payload may end the body without a newline, with or without `length`.
    for body in (b'{}\n{"type":"event"}\n{"message":"at eof"}', b'{}\n{"type":"event","length":2}\n{}'):
        assert call(envelope_path(project_key), body, auth(project_key)).status == 200


def test_an_envelope_without_an_event_answers_an_empty_object(project_key):
    body = envelope(({"type": "session"}, b'{"sid": "x"}'), ({"type": "client_report"}, b"{}"))
    response = call(envelope_path(project_key), body, auth(project_key))
    assert (response.status, response.json) == (200, {})
    assert not InboxItem.objects.exists()


def test_bad_text_is_cleaned_before_it_reaches_the_database(project_key):
    payload = (
        b'{"message": "nul\\u0000here", "raw": "a\x00b", "nan": NaN, "inf": -Infinity, "big": 1e999,'
        b' "lone": "\\ud800x", "tags": {"k\\udfff": "\\u0000"}}'
    )
    response = call(envelope_path(project_key), event_envelope(payload), auth(project_key))
    assert response.status == 200
    [item] = stored(project_key)
    raw = InboxItem.unpack(item.payload)
    assert b"\x00" not in raw and b"\\u0000" not in raw
    data = orjson.loads(raw)  # strict: would refuse NaN, lone surrogates
    assert data["message"] == "nulhere" and data["raw"] == "ab"
    assert data["nan"] is None and data["inf"] is None and data["big"] is None
    assert data["lone"] == "\ufffdx" and data["tags"] == {"k\ufffd": ""}


def test_a_strictly_valid_payload_is_stored_byte_for_byte(project_key):
    payload = b'{"event_id": "%s", "message": "caf\xc3\xa9 \\u00e9", "extra": {"n": [1, 2.5, true, null]}}' % (
        uuid.uuid4().hex.encode()
    )
    response = call(envelope_path(project_key), event_envelope(payload), auth(project_key))
    assert response.status == 200
    [item] = stored(project_key)
    assert InboxItem.unpack(item.payload) == payload


@pytest.mark.parametrize(
    "payload",
    [
        b'{"big": 100000000000000000000000, "small": -9223372036854775809}',  # beyond 64 bits: orjson reads floats
        b'{"event_id": "%s", "deep": ' % uuid.uuid4().hex.encode() + b"[" * 1020 + b"]" * 1020 + b"}",
        b'{"event_id": "%s", "message": "nul\\u0000"}' % uuid.uuid4().hex.encode(),
    ],
)
def test_payloads_past_the_fast_path_are_stored_readable_with_their_id(project_key, payload):
    response = call(envelope_path(project_key), event_envelope(payload), auth(project_key))
    assert response.status == 200
    [item] = stored(project_key)
    data = orjson.loads(InboxItem.unpack(item.payload))  # as digest reads it
    assert data["event_id"] == item.event_id.hex == response.json["id"]
    assert orjson.loads(payload).get("event_id", data["event_id"]) == data["event_id"]


def test_a_payload_too_deep_to_rewrite_without_its_id_is_400(project_key):
    # Accepted with a valid id (stored as sent, every reader reads 1,024 levels), but a missing id cannot be
    # written into it: the standard library writes about 990 levels.
    payload = b'{"deep": ' + b"[" * 1020 + b"]" * 1020 + b"}"
    response = call(envelope_path(project_key), event_envelope(payload), auth(project_key))
    assert (response.status, response.json) == (400, {"detail": "payload is nested too deeply"})
    assert not stored(project_key)


TYPE_CONFUSED_EVENTS = [
    {"tags": {"a": "b"}, "exception": [{"type": "E"}], "level": "banana", "timestamp": "garbage"},
    {"tags": [["a", "b"], "junk", 3], "exception": {"values": {"type": "E"}}, "timestamp": 32503680000},
    {"exception": {"values": [{"stacktrace": {"frames": {"0": {"filename": "x"}}}}]}, "level": 5},
    {"user": "not an object", "contexts": [], "extra": None, "breadcrumbs": "x", "timestamp": "3000-01-01"},
]


def test_type_confusion_is_accepted_for_digest_to_normalise(project_key):
    for event in TYPE_CONFUSED_EVENTS:
        response = call(envelope_path(project_key), event_envelope(event), auth(project_key))
        assert response.status == 200
        data = orjson.loads(InboxItem.unpack(InboxItem.objects.get(event_id=response.json["id"]).payload))
        assert {key: value for key, value in data.items() if key != "event_id"} == event


def test_a_malformed_event_id_is_replaced_and_never_used(project_key):
    for bad_id in ["../../x", "not-a-uuid", 12, None, "0" * 31, "g" * 32, "../" * 12, {"a": 1}, [uuid.uuid4().hex]]:
        response = call(envelope_path(project_key), event_envelope({"event_id": bad_id}), auth(project_key))
        assert response.status == 200
        item = InboxItem.objects.get(event_id=response.json["id"])
        assert response.json["id"] == item.event_id.hex == orjson.loads(InboxItem.unpack(item.payload))["event_id"]
    assert len(stored(project_key)) == 9


def test_a_resent_event_is_answered_200_and_stored_once(project_key):
    event_id = uuid.uuid4().hex
    body = event_envelope({"event_id": event_id, "message": "again"})
    answers = [call(envelope_path(project_key), body, auth(project_key)) for _ in range(3)]
    assert [(answer.status, answer.json) for answer in answers] == [(200, {"id": event_id})] * 3
    assert len(stored(project_key)) == 1


def test_outcomes_are_counted_per_project_and_shown_by_status(project_key, capsys):
    path = envelope_path(project_key)
    call(path, event_envelope({"message": "one"}), auth(project_key))
    call(path, event_envelope({"message": "two"}), auth(project_key))
    call(path, event_envelope(b"[1, 2]"), auth(project_key))  # invalid
    call(
        path, envelope(({"type": "event", "length": 2 * 1024 * 1024}, b""), lengths=False), auth(project_key)
    )  # too large
    call(path, envelope(({"type": "session"}, b"{}"), ({"type": "attachment"}, b"x")), auth(project_key))
    writer.stop()  # flushes the counts
    counts = dict(IngestOutcome.objects.filter(project_id=project_key.project_id).values_list("outcome", "count"))
    assert counts == {outcomes.ACCEPTED: 2, "invalid": 1, "too_large": 1, "session": 1, "attachment": 1}

    with pytest.raises(SystemExit):  # unhealthy: no digest worker runs beside the tests
        call_command("status", "--json")
    report = json.loads(capsys.readouterr().out)
    [row] = [row for row in report["projects"] if row["project_id"] == project_key.project_id]
    assert row["outcomes"] == counts
    assert row["pending"] == 2


def test_check_ins_are_kept_for_monitors_each_as_a_row_of_its_own(project_key):
    check_in = json.dumps({"check_in_id": uuid.uuid4().hex, "monitor_slug": "nightly", "status": "ok"}).encode()
    body = envelope(*[({"type": "check_in"}, check_in)] * 100)
    response = call(envelope_path(project_key), body, auth(project_key))
    assert (response.status, response.json) == (200, {})
    assert InboxItem.objects.filter(item_type="check_in").count() == 100
    outcomes.flush()
    assert IngestOutcome.objects.get(project_id=project_key.project_id, outcome="check_in").count == 100


def test_more_check_ins_than_an_envelope_may_hold_or_one_that_is_not_json_refuse_the_envelope(project_key):
    check_in = json.dumps({"check_in_id": uuid.uuid4().hex, "monitor_slug": "nightly", "status": "ok"}).encode()
    response = call(envelope_path(project_key), envelope(*[({"type": "check_in"}, check_in)] * 101), auth(project_key))
    assert (response.status, response.json) == (400, {"detail": "more than 100 check-ins in the envelope"})
    body = envelope(({"type": "event"}, b'{"message": "x"}'), ({"type": "check_in"}, b"[1]"))
    response = call(envelope_path(project_key), body, auth(project_key))
    assert (response.status, response.json) == (400, {"detail": "payload is not a JSON object"})
    assert not InboxItem.objects.exists()
