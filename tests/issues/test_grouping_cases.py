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
        ("sdk_message_low_sku1", "sdk_message_low_sku2"),
        ("sdk_message_late_a", "sdk_message_late_b"),
        ("sdk_async_awaited", "sdk_async_immediate"),
        ("node_out_of_stock_order", "node_out_of_stock_order_moved"),
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
        "sdk_message_low_sku1",
        "sdk_message_late_a",
        "sdk_async_awaited",
    ]
    hashes = {name: key_of(load(name)["event"], version).hash for name in names}
    assert len(set(hashes.values())) == len(names), hashes


# Captured from the JavaScript SDKs (js_sdk/capture.mjs): each group is one problem, and 2026-12 gives it one key.
# 2026-11 keeps its keys, which split most of these groups (and merge every message sent from one function).
JAVASCRIPT_PROBLEMS = {
    # Two call sites of one function are two problems (their source lines differ), as in Python.
    "node_out_of_stock_order": ["node_out_of_stock_order", "node_out_of_stock_order_moved"],
    "node_out_of_stock_gift": ["node_out_of_stock_gift"],
    "node_reserve_method": ["node_reserve_method"],
    "node_reserve_alias": ["node_reserve_alias"],
    "node_reserve_plain": ["node_reserve_plain"],
    "node_sync_stock": ["node_sync_stock_awaited", "node_sync_stock_immediate"],
    "node_validate_loop": ["node_validate_loop"],
    "node_validate_foreach": ["node_validate_foreach"],
    "node_price": ["node_price_query_v1", "node_price_query_v2"],
    "node_message_low": ["node_message_low_sku1", "node_message_low_sku2"],
    "node_message_late": ["node_message_late_a", "node_message_late_b"],
    "node_coupon": ["node_coupon"],
    "browser_checkout_query": ["browser_checkout_query_v1", "browser_checkout_query_v2"],
    "browser_checkout_webpack": ["browser_checkout_webpack_a", "browser_checkout_webpack_b"],
    "browser_checkout_rollup": ["browser_checkout_rollup_a", "browser_checkout_rollup_b"],
    "browser_buy": ["browser_buy_button", "browser_buy_link"],
    "browser_cart": ["browser_cart_awaited", "browser_cart_cached"],
    "browser_validate": ["browser_validate_loop", "browser_validate_foreach"],
    "browser_message_low": ["browser_message_low_sku1", "browser_message_low_sku2"],
    "browser_message_late": ["browser_message_late_a", "browser_message_late_b"],
    "browser_coupon": ["browser_coupon"],
}


@pytest.mark.parametrize("problem", list(JAVASCRIPT_PROBLEMS))
def test_javascript_same_problem_same_key(problem):
    hashes = {name: key_of(load(name)["event"], "2026-12").hash for name in JAVASCRIPT_PROBLEMS[problem]}
    assert len(set(hashes.values())) == 1, hashes


def test_javascript_different_problems_different_keys():
    # The bundles of the three browser_checkout groups are served under differently laid out paths
    # (/static/js/shop.js, /static/js/shop.<hash>.js, /assets/shop-<hash>.js): three deployments, three keys.
    hashes = {
        problem: key_of(load(names[0])["event"], "2026-12").hash for problem, names in JAVASCRIPT_PROBLEMS.items()
    }
    assert len(set(hashes.values())) == len(hashes), hashes


def test_javascript_cases_show_what_2026_11_got_wrong():
    """2026-11 is frozen with its faults: these groups it splits, and two different messages it merges."""
    split = [
        problem
        for problem, names in JAVASCRIPT_PROBLEMS.items()
        if len({key_of(load(name)["event"], "2026-11").hash for name in names}) > 1
    ]
    assert split == [
        "node_sync_stock",
        "node_price",
        "browser_checkout_query",
        "browser_checkout_rollup",  # its hex hashes (webpack's) 2026-11 normalised already
        "browser_buy",
        "browser_cart",
        "browser_validate",
    ]
    old = [key_of(load(name)["event"], "2026-11").hash for name in ("node_message_low_sku1", "node_message_late_a")]
    assert old[0] == old[1]


@pytest.mark.parametrize("version", list(VERSIONS))
def test_fingerprint_default_is_expanded_for_the_stored_event(version):
    event = load("fingerprint_extends_default")["event"]
    key = key_of(event, version)
    default = key_of({**event, "fingerprint": []}, version)
    assert key.fingerprint == ("tenant-a", default.hash)
    assert key.parts == ("fingerprint: tenant-a", *default.parts)


# What 2026-12 gets right that 2026-11 got wrong (2026-11 keeps its keys: it merged the first list's pairs and
# split the second's).
@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("py_raise_site_empty_cart", "py_raise_site_negative_total"),
        ("py_method_checkout_view_post", "py_method_refund_view_post"),
    ],
)
def test_2026_12_tells_apart_what_2026_11_merged(first, second):
    assert key_of(load(first)["event"], "2026-11").hash == key_of(load(second)["event"], "2026-11").hash
    assert key_of(load(first)["event"], "2026-12").hash != key_of(load(second)["event"], "2026-12").hash


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("py_recursion_depth_3", "py_recursion_depth_30"),
        ("py_exception_group_one_child", "py_exception_group_three_alike"),
        ("py_message_duration_size_host_a", "py_message_duration_size_host_b"),
    ],
)
def test_2026_12_keeps_together_what_2026_11_split(first, second):
    assert key_of(load(first)["event"], "2026-11").hash != key_of(load(second)["event"], "2026-11").hash
    assert key_of(load(first)["event"], "2026-12").hash == key_of(load(second)["event"], "2026-12").hash


def test_a_group_of_two_problems_is_neither_of_them():
    two = key_of(load("py_exception_group_two_problems")["event"])
    assert two.hash != key_of(load("py_exception_group_one_child")["event"]).hash
    assert two.parts[0] == "type: ExceptionGroup"
