"""Normalising, trimming and scrubbing: every shape the protocol allows in, the one documented shape out."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from issues.normalize import crash_frame, normalize_event, summary
from issues.scrub import scrub_text, scrub_texts

RECEIVED = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def normalize(event, **kwargs) -> dict:
    return normalize_event(event, event_id="a" * 32, received_at=RECEIVED, retention=timedelta(days=90), **kwargs)


def frames(count: int, **extra) -> list[dict]:
    return [{"module": f"app.m{n}", "function": f"f{n}", "lineno": n, "in_app": True, **extra} for n in range(count)]


@pytest.mark.parametrize(
    ("exception", "message", "expected_type"),
    [
        ({"values": [{"type": "A", "value": "x"}]}, None, "A"),
        ([{"type": "A", "value": "x"}], None, "A"),
        ({"type": "A", "value": "x"}, None, "A"),
    ],
)
def test_exception_shapes(exception, message, expected_type):
    data = normalize({"exception": exception})
    assert data["exception"]["values"][0]["type"] == expected_type
    assert data["exception"]["values"][0]["stacktrace"] == {"frames": []}


@pytest.mark.parametrize(
    ("event", "message", "logentry"),
    [
        ({"message": "plain"}, "plain", {}),
        ({"message": {"message": "a %s", "params": ["b"]}}, "a b", {"message": "a %s", "params": ["b"]}),
        ({"message": {"message": "a %s", "formatted": "A!", "params": []}}, "A!", {"message": "a %s", "params": []}),
        ({"logentry": {"message": "n=%d", "params": [3]}}, "n=3", {"message": "n=%d", "params": [3]}),
        ({"logentry": {"message": "%s %s", "params": [1]}}, "%s %s", {"message": "%s %s", "params": [1]}),
        ({"logentry": {"message": "%(a)s", "params": {"a": 1}}}, "1", {"message": "%(a)s", "params": [{"a": 1}]}),
    ],
)
def test_message_shapes(event, message, logentry):
    data = normalize(event)
    assert (data["message"], data["logentry"]) == (message, logentry)


@pytest.mark.parametrize(
    "tags",
    [{"a": "1", "b": 2}, [["a", "1"], ["b", 2]], [{"key": "a", "value": "1"}, {"key": "b", "value": 2}]],
)
def test_tag_shapes(tags):
    assert normalize({"tags": tags})["tags"] == [["a", "1"], ["b", "2"]]


@pytest.mark.parametrize("breadcrumbs", [[{"message": "m"}], {"values": [{"message": "m"}]}])
def test_breadcrumb_shapes(breadcrumbs):
    crumbs = normalize({"breadcrumbs": breadcrumbs})["breadcrumbs"]["values"]
    assert crumbs == [{"timestamp": "", "type": "default", "category": "", "level": "info", "message": "m", "data": {}}]


@pytest.mark.parametrize(
    "timestamp",
    [
        "2026-11-21T11:59:00Z",
        "2026-11-21T12:59:00+01:00",
        "2026-11-21T11:59:00",
        1795262340,
        1795262340.0,
        "1795262340",
    ],
)
def test_timestamp_shapes(timestamp):
    assert normalize({"timestamp": timestamp})["timestamp"] == "2026-11-21T11:59:00.000000Z"


@pytest.mark.parametrize(
    ("timestamp", "note"),
    [(RECEIVED + timedelta(minutes=5), "in the future"), (RECEIVED - timedelta(days=91), "older than retention")],
)
def test_timestamps_out_of_range_are_clamped_with_a_note(timestamp, note):
    data = normalize({"timestamp": timestamp.isoformat()})
    assert data["timestamp"] == "2026-11-21T12:00:00.000000Z"
    assert note in data["_meta"]["notes"][0]["note"]


def test_derived_fields_title_culprit_level_user():
    data = normalize(
        {
            "level": "warn",
            "logger": "x" * 100,
            "environment": "e" * 100,
            "release": "r@1",
            "server_name": "web-1",
            "transaction": "/checkout",
            "user": {"id": 7, "email": "a@b.c", "username": "ann", "ip_address": "1.2.3.4", "plan": "pro"},
            "exception": {
                "values": [
                    {
                        "type": "ValueError",
                        "value": "bad\nsecond line",
                        "stacktrace": {
                            "frames": [
                                {"module": "app.views", "function": "index", "in_app": True},
                                {"module": "django.db", "function": "execute", "in_app": False},
                            ]
                        },
                    }
                ]
            },
        }
    )
    assert (data["level"], len(data["logger"]), len(data["environment"])) == ("warning", 64, 64)
    assert data["user"] == {"id": "7", "email": "a@b.c", "username": "ann", "ip_address": "1.2.3.4", "plan": "pro"}
    assert summary(data) == {
        "title": "ValueError: bad",
        "culprit": "app.views in index",
        "metadata": {"type": "ValueError", "value": "bad\nsecond line", "filename": "", "function": "index"},
    }


CASES = Path(__file__).parent / "grouping_cases"


def case_event(name: str) -> dict:
    return normalize(json.loads((CASES / f"{name}.json").read_text())["event"])


@pytest.mark.parametrize(
    ("name", "culprit", "title"),
    [
        ("node_out_of_stock_order", "checkStock(shop:stock)", "OutOfStockError: Out of stock: SKU-1"),
        ("node_reserve_alias", "reserve(shop:stock)", "Error: cannot reserve SKU-2: warehouse offline"),
        ("node_price_query_v2", "priceOf(shop:prices.mjs)", "Error: no price for SKU-5"),
        ("node_validate_foreach", "validateSku(shop:stock)", 'TypeError: invalid SKU "sku 4"'),
        ("node_message_low_sku1", "reportStock(shop:stock)", "Stock low for SKU-1: 2 left"),
        ("browser_buy_link", "onBuy(/static/js/shop.js)", "Error: cannot buy SKU-1: basket locked"),
        ("browser_cart_awaited", "loadCart(/static/js/shop.js)", "Error: cart 7 could not be loaded"),
        ("browser_checkout_query_v2", "total(/static/js/shop.js)", "TypeError: price missing for SKU-1"),
        ("browser_message_late_a", "reportStock(/static/js/shop.js)", "Stock report is late"),
    ],
)
def test_javascript_culprits_read_function_and_module(name, culprit, title):
    data = case_event(name)
    assert (summary(data)["culprit"], summary(data)["title"]) == (culprit, title)


def test_a_javascript_culprit_skips_the_engines_frames_and_anonymous_callbacks():
    frames = [
        {"function": "checkout", "filename": "https://shop.example/app.js?v=2", "in_app": True},
        {"function": "Array.forEach", "filename": "<anonymous>", "in_app": True},
        {"function": "?", "filename": "https://shop.example/app.js?v=2", "in_app": True},
    ]
    data = normalize(
        {"platform": "javascript", "exception": {"values": [{"type": "E", "stacktrace": {"frames": frames}}]}}
    )
    assert summary(data)["culprit"] == "checkout(/app.js)"


OTHER_PLATFORMS = [
    path
    for path in sorted(CASES.glob("*.json"))
    if json.loads(path.read_text())["event"].get("platform") not in ("javascript", "node")
]


@pytest.mark.parametrize("path", OTHER_PLATFORMS, ids=[path.stem for path in OTHER_PLATFORMS])
def test_other_platforms_keep_their_culprit(path):
    """module in function, from the crash frame; else the transaction (the JavaScript culprit is JavaScript's)."""
    data = normalize(json.loads(path.read_text())["event"])
    frame = crash_frame(data)
    expected = (
        f"{frame['module'] or frame['filename'] or frame['abs_path']} in {frame['function'] or '?'}"
        if frame
        else data["transaction"]
    )
    assert summary(data)["culprit"] == expected


def test_the_synthetic_flag_is_kept():
    data = normalize(
        {"exception": {"values": [{"value": "a", "mechanism": {"type": "generic", "synthetic": True}}, {"value": "b"}]}}
    )
    assert [value["mechanism"]["synthetic"] for value in data["exception"]["values"]] == [True, False]


def test_frames_keep_the_newest_250_and_middle_frames_lose_their_locals():
    data = normalize({"exception": {"values": [{"type": "R", "stacktrace": {"frames": frames(300, vars={"x": "1"})}}]}})
    kept = data["exception"]["values"][0]["stacktrace"]["frames"]
    assert len(kept) == 250
    assert kept[-1]["function"] == "f299"  # the crashing frame stays
    assert [bool(frame["vars"]) for frame in kept] == [True] * 25 + [False] * 200 + [True] * 25
    notes = [note["note"] for note in data["_meta"]["notes"]]
    assert "kept the newest 250 of 300 frames" in notes
    assert (
        "removed locals and surrounding source lines of 200 middle frames "
        "(in-app frames keep their own line, which grouping reads)"
    ) in notes


def test_middle_frames_keep_their_source_line_when_in_app_for_grouping():
    raw = frames(120, context_line="do_work()", pre_context=["before"])
    raw[60]["in_app"] = False
    kept = normalize({"exception": {"values": [{"type": "R", "stacktrace": {"frames": raw}}]}})
    kept = kept["exception"]["values"][0]["stacktrace"]["frames"]
    assert kept[59]["context_line"] == "do_work()" and kept[59]["pre_context"] == []
    assert kept[60]["context_line"] is None  # a library frame in the middle: nothing kept
    assert kept[0]["pre_context"] == ["before"]


def test_exception_group_ids_and_synthetic_flags_are_kept_and_checked():
    data = normalize(
        {
            "exception": {
                "values": [
                    {"type": "E", "mechanism": {"exception_id": 1, "parent_id": 0, "synthetic": "yes"}},
                    {"type": "G", "mechanism": {"exception_id": 0, "is_exception_group": True, "parent_id": -1}},
                    {"type": "M", "mechanism": {"exception_id": 2**40, "synthetic": True, "handled": "no"}},
                ]
            }
        }
    )
    mechanisms = [value["mechanism"] for value in data["exception"]["values"]]
    assert [(m["exception_id"], m["parent_id"], m["is_exception_group"]) for m in mechanisms] == [
        (1, 0, False),
        (0, None, True),
        (None, None, False),
    ]
    assert [m["synthetic"] for m in mechanisms] == [False, False, True]
    assert mechanisms[2]["handled"] is None


def test_a_message_keeps_the_stack_it_was_sent_with_trimmed_and_scrubbed_like_exception_frames():
    case = json.loads((Path(__file__).parent / "grouping_cases" / "sdk_message_with_stacktrace.json").read_text())
    data = normalize(case["event"])
    [thread] = data["threads"]["values"]
    assert (thread["crashed"], thread["current"]) == (False, True)
    functions = [frame["function"] for frame in thread["stacktrace"]["frames"]]
    assert functions[:3] == ["<module>", "capture_with_stacktrace", "warn_about_stock"]
    assert thread["stacktrace"]["frames"][2]["vars"] == {"secret_token": "[Filtered]", "sku": "'SKU-7'"}
    assert summary(data)["culprit"] == "tests.issues.sdk_events in warn_about_stock"  # the last in-app frame
    assert summary(data)["title"] == "Stock of SKU-7 is out"

    old_client = normalize({"message": "m", "stacktrace": {"frames": frames(300, vars={"password": "x"})}})
    kept = old_client["stacktrace"]["frames"]
    assert len(kept) == 250 and kept[-1]["vars"] == {"password": "[Filtered]"} and kept[100]["vars"] == {}
    assert {"path": "stacktrace.frames", "note": "kept the newest 250 of 300 frames"} in old_client["_meta"]["notes"]
    assert summary(old_client)["culprit"] == "app.m299 in f299"

    many = normalize({"threads": [{"id": n, "stacktrace": {"frames": frames(1)}} for n in range(60)]})
    assert len(many["threads"]["values"]) == 50 and many["threads"]["values"][0]["id"] == "0"
    assert normalize({})["threads"] == {"values": []} and normalize({})["stacktrace"] == {"frames": []}


def test_strings_tags_breadcrumbs_and_bags_are_capped():
    data = normalize(
        {
            "message": "m" * 10_000,
            "tags": {f"k{n}": "v" * 300 for n in range(150)},
            "breadcrumbs": [{"message": str(n)} for n in range(150)],
            "extra": {"deep": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}, "big": ["x" * 1000] * 200},
        }
    )
    assert len(data["message"]) == 8192
    assert len(data["tags"]) == 100 and all(len(value) == 200 for _, value in data["tags"])
    assert [crumb["message"] for crumb in data["breadcrumbs"]["values"]][0] == "50"  # newest 100 kept
    assert data["extra"]["deep"]["a"]["b"]["c"]["d"] == "[trimmed]"
    assert len(data["extra"]["big"]) < 100
    notes = {note["path"]: note["note"] for note in data["_meta"]["notes"]}
    assert notes["tags"] == "kept the first 100 of 150 tags"
    assert notes["breadcrumbs"] == "kept the newest 100 of 150 breadcrumbs"
    assert "nesting deeper than 5 levels removed" in notes["extra"]


def test_secrets_are_scrubbed_everywhere_listed():
    data = normalize(
        {
            "request": {
                "url": "https://shop.example/pay?token=abc&page=2",
                "headers": [["Authorization", "Bearer abc.def"], ["X-Api-Key", "k"], ["Accept", "text/html"]],
                "cookies": "sessionid=s3cr3t; theme=dark",
                "data": {"password": "hunter2", "card": "4111 1111 1111 1111", "amount": "12"},
            },
            "extra": {"stripe_secret": "sk_live", "note": "sent Bearer eyJhbGciOi to api", "order": 1732233600000},
            "user": {"id": "1", "session_key": "zz"},
            "breadcrumbs": [{"data": {"csrfmiddlewaretoken": "t", "q": "4111-1111-1111-1111"}}],
            "exception": {
                "values": [
                    {"type": "E", "stacktrace": {"frames": [{"function": "f", "vars": {"PASSWD": "p", "n": "1"}}]}}
                ]
            },
        }
    )
    request = data["request"]
    assert request["headers"] == {"Authorization": "[Filtered]", "X-Api-Key": "[Filtered]", "Accept": "text/html"}
    assert request["cookies"] == {"sessionid": "[Filtered]", "theme": "[Filtered]"}
    assert request["data"] == {"password": "[Filtered]", "card": "[Filtered]", "amount": "12"}
    assert (request["url"], request["query_string"]) == ("https://shop.example/pay", "token=%5BFiltered%5D&page=2")
    assert data["extra"] == {"stripe_secret": "[Filtered]", "note": "sent [Filtered] to api", "order": 1732233600000}
    assert data["user"]["session_key"] == "[Filtered]"
    assert data["breadcrumbs"]["values"][0]["data"] == {"csrfmiddlewaretoken": "[Filtered]", "q": "[Filtered]"}
    assert data["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"] == {"PASSWD": "[Filtered]", "n": "1"}
    assert b"hunter2" not in orjson.dumps(data) and b"4111" not in orjson.dumps(data)


def test_short_tokens_and_case_variants_are_scrubbed_too():
    data = normalize(
        {
            "extra": {"h": "Bearer ab12", "u": "BEARER x", "l": ["bearer q"]},
            "breadcrumbs": [{"data": {"x": "Bearer t"}}],
        }
    )
    assert data["extra"] == {"h": "[Filtered]", "u": "[Filtered]", "l": ["[Filtered]"]}
    assert data["breadcrumbs"]["values"][0]["data"] == {"x": "[Filtered]"}


def test_card_numbers_among_other_scripts_are_scrubbed():
    extra = {"de": "Zahlung für Karte 4111 1111 1111 1111 abgelehnt", "ja": "カード4111111111111111"}
    data = normalize({"extra": extra})
    assert data["extra"] == {"de": "Zahlung für Karte [Filtered] abgelehnt", "ja": "カード[Filtered]"}


def test_numbers_that_are_not_card_numbers_stay():
    data = normalize({"extra": {"order": "order 1234567890123 shipped", "epoch_ms": "1732233600000"}})
    assert data["extra"] == {"order": "order 1234567890123 shipped", "epoch_ms": "1732233600000"}


def test_breadcrumb_messages_are_scrubbed_like_any_other_string():
    messages = ["paid with 4111 1111 1111 1111", "sent Bearer abc", "ids 411111 1111111111", "ok", "٤١١١١١١١١١١١١١١١"]
    crumbs = normalize({"breadcrumbs": [{"message": message} for message in messages]})["breadcrumbs"]["values"]
    assert [crumb["message"] for crumb in crumbs] == [scrub_text(message) for message in messages]
    assert [crumb["message"] for crumb in crumbs][:3] == ["paid with [Filtered]", "sent [Filtered]", "ids [Filtered]"]


# Digits, separators, the token word in several cases, and a digit of another script.
scrub_alphabet = st.sampled_from(["1", "4", "0", " ", "-", "\n", "a", "Bearer ", "bEARER ", "x=", "٣"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(scrub_alphabet, max_size=40).map("".join), max_size=6))
def test_scrubbing_many_texts_at_once_is_scrubbing_each(texts):
    assert scrub_texts(texts) == [scrub_text(text) for text in texts]


def test_ip_addresses_are_scrubbed_only_when_the_project_asks():
    event = {
        "user": {"ip_address": "10.0.0.1"},
        "request": {"headers": {"X-Forwarded-For": "10.0.0.1"}, "env": {"REMOTE_ADDR": "10.0.0.1"}},
    }
    assert normalize(event)["user"]["ip_address"] == "10.0.0.1"
    data = normalize(event, scrub_ip_addresses=True)
    assert data["user"]["ip_address"] == "[Filtered]"
    assert data["request"]["headers"]["X-Forwarded-For"] == "[Filtered]"
    assert data["request"]["env"]["REMOTE_ADDR"] == "[Filtered]"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5),
    max_leaves=30,
)
event_keys = st.sampled_from(
    ["exception", "message", "logentry", "tags", "breadcrumbs", "timestamp", "user", "request", "contexts", "extra",
     "fingerprint", "level", "release", "sdk", "platform", "logger", "threads", "stacktrace"]
)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(event_keys, json_values, max_size=8))
def test_any_json_gives_the_documented_shape(event):
    data = normalize(event)
    orjson.dumps(data)  # storable
    assert isinstance(data["exception"]["values"], list)
    assert isinstance(data["threads"]["values"], list) and isinstance(data["stacktrace"]["frames"], list)
    assert isinstance(data["tags"], list) and all(isinstance(k, str) and isinstance(v, str) for k, v in data["tags"])
    assert isinstance(data["message"], str) and isinstance(data["logentry"], dict)
    assert data["level"] in {"fatal", "error", "warning", "info", "debug"}
    assert summary(data)["title"]
