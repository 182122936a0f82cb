"""Grouping as data: each file in grouping_cases/ is an event as a client sent it and the key expected for it.

Adding a case is adding a file. After an intended change of the grouper (which means a new GROUPING_VERSION),
`TRACEHOUND_ACCEPT_GROUPING=1 pytest tests/issues/test_grouping_cases.py` rewrites the expectations; review the
diff, since every changed key splits or merges issues.
"""

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from issues.grouping import grouping_key
from issues.normalize import normalize_event

CASES = sorted((Path(__file__).parent / "grouping_cases").glob("*.json"))
RECEIVED = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def key_of(event: dict):
    data = normalize_event(event, event_id="0" * 32, received_at=RECEIVED, retention=timedelta(days=90))
    return grouping_key(data)


def load(name: str) -> dict:
    return json.loads((Path(__file__).parent / "grouping_cases" / f"{name}.json").read_text())


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_grouping_case(path):
    case = json.loads(path.read_text())
    key = key_of(case["event"])
    actual = {"kind": key.kind, "parts": list(key.parts)}
    if os.environ.get("TRACEHOUND_ACCEPT_GROUPING"):
        case["expected"] = actual
        path.write_text(json.dumps(case, indent=1, sort_keys=True) + "\n")
    assert case["description"], "say in one line what the case shows"
    assert actual == case["expected"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("sdk_exception_order_17", "sdk_exception_order_4242"),
        ("sdk_logging_alice", "sdk_logging_bob"),
        ("lineno_changes_a", "lineno_changes_b"),
        ("lineno_changes_a", "fingerprint_default_only"),
        ("lineno_changes_a", "library_frames_ignored"),
        ("no_in_app_frames", "exception_list_shape"),
        ("message_variable_parts", "message_variable_parts_other"),
        ("exception_without_frames", "exception_single_object"),
    ],
)
def test_same_problem_same_key(first, second):
    assert key_of(load(first)["event"]).hash == key_of(load(second)["event"]).hash


def test_different_problems_different_keys():
    names = [
        "sdk_exception_order_17",
        "sdk_chained_exception",
        "sdk_keyerror",
        "sdk_logging_alice",
        "sdk_capture_message",
        "sdk_fingerprint_with_default",
        "lineno_changes_a",
        "no_in_app_frames",
        "fingerprint_custom",
        "fingerprint_extends_default",
        "message_object_with_params",
        "empty_event",
    ]
    hashes = {name: key_of(load(name)["event"]).hash for name in names}
    assert len(set(hashes.values())) == len(names), hashes


def test_fingerprint_default_is_expanded_in_the_stored_event():
    event = load("fingerprint_extends_default")["event"]
    data = normalize_event(event, event_id="0" * 32, received_at=RECEIVED, retention=timedelta(days=90))
    key = grouping_key(data)
    default = key_of({**event, "fingerprint": []})
    assert data["fingerprint"] == ["tenant-a", default.hash]
    assert key.parts == ("fingerprint: tenant-a", *default.parts)
