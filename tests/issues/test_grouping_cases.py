"""Grouping as data: each file in grouping_cases/ is an event as a client sent it and the key expected for it by
each grouping version.

Adding a case is adding a file. A released version's expectations never change (its keys decide existing issues);
for the version in the making, `TRACEHOUND_ACCEPT_GROUPING=<version> pytest tests/issues/test_grouping_cases.py`
writes them; review the diff, since every key decides which events share an issue.
"""

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from issues.grouping import NEWEST, VERSIONS, grouping_key
from issues.normalize import normalize_event

CASES = sorted((Path(__file__).parent / "grouping_cases").glob("*.json"))
RECEIVED = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def key_of(event: dict, version: str = NEWEST):
    data = normalize_event(event, event_id="0" * 32, received_at=RECEIVED, retention=timedelta(days=90))
    return grouping_key(data, version)


def load(name: str) -> dict:
    return json.loads((Path(__file__).parent / "grouping_cases" / f"{name}.json").read_text())


@pytest.mark.parametrize("version", list(VERSIONS))
@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_grouping_case(path, version):
    case = json.loads(path.read_text())
    key = key_of(case["event"], version)
    actual = {"kind": key.kind, "parts": list(key.parts)}
    if os.environ.get("TRACEHOUND_ACCEPT_GROUPING") == version:
        case["expected"] = {**(case["expected"] or {}), version: actual}  # a new case file has none yet
        path.write_text(json.dumps(case, indent=1, sort_keys=True) + "\n")
    assert case["description"], "say in one line what the case shows"
    assert version in (case["expected"] or {}), f"no expected key of {version}: see this module's docstring"
    assert actual == case["expected"][version]


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
@pytest.mark.parametrize("version", list(VERSIONS))
def test_same_problem_same_key(first, second, version):
    assert key_of(load(first)["event"], version).hash == key_of(load(second)["event"], version).hash


@pytest.mark.parametrize("version", list(VERSIONS))
def test_different_problems_different_keys(version):
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
    hashes = {name: key_of(load(name)["event"], version).hash for name in names}
    assert len(set(hashes.values())) == len(names), hashes


@pytest.mark.parametrize("version", list(VERSIONS))
def test_fingerprint_default_is_expanded_for_the_stored_event(version):
    event = load("fingerprint_extends_default")["event"]
    key = key_of(event, version)
    default = key_of({**event, "fingerprint": []}, version)
    assert key.fingerprint == ("tenant-a", default.hash)
    assert key.parts == ("fingerprint: tenant-a", *default.parts)
