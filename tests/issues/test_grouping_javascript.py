"""Grouping version 2026-12's JavaScript helpers, one shape per row; the events the SDKs send are in
test_grouping_cases.py."""

import pytest

from issues.grouping import v2026_12
from issues.grouping.v2026_12 import js_function_name, js_path_module

from .test_grouping_cases import key_of


@pytest.mark.parametrize(
    ("path", "module"),
    [
        # a URL: its path, without scheme, host, query string or fragment
        ("https://shop.example/static/js/app.js", "/static/js/app.js"),
        ("https://shop.example/static/js/app.js?v=3.1.0", "/static/js/app.js"),
        ("https://cdn.example:8443/static/js/app.js?v=3.1.1#main", "/static/js/app.js"),
        ("http://127.0.0.1:8000/app.js#L10", "/app.js"),
        ("https://shop.example", "/"),
        ("app:///main.js", "/main.js"),
        ("webpack-internal:///./src/cart.js", "/./src/cart.js"),
        ("blob:https://shop.example/3f2a1b4c-9d8e-4f7a-8b6c-5d4e3f2a1b0c", "/?"),
        # a file: its basename (the directory is the deploy's)
        ("/srv/releases/20261121/app/static/js/app.js", "app.js"),
        ("file:///srv/app/dist/server.mjs?update=1700000000", "server.mjs"),
        ("C:\\inetpub\\shop\\app.js", "app.js"),
        ("app.js", "app.js"),
        # content hashes: webpack, Parcel, Next.js, Rails (hex); Rollup, Vite (base64url), esbuild (base32)
        ("https://shop.example/static/js/main.3f9a8c1b.js", "/static/js/main.?.js"),
        ("https://shop.example/static/js/2.8f3e1c9a.chunk.js", "/static/js/2.?.chunk.js"),
        ("https://shop.example/static/js/shop.318a06838190c0a45afd.js", "/static/js/shop.?.js"),
        (
            "https://shop.example/_next/static/chunks/pages/index-5f4d3c2b1a0e9d8c.js",
            "/_next/static/chunks/pages/index-?.js",
        ),
        ("https://shop.example/assets/application-0123456789abcdef0123456789abcdef.js", "/assets/application-?.js"),
        ("https://shop.example/assets/index-BvB7Ct2q.js", "/assets/index-?.js"),
        ("https://shop.example/assets/index-DiwrgTda.js", "/assets/index-?.js"),  # no digit, mixed case
        ("https://shop.example/assets/shop-gZX_DCXW.js", "/assets/shop-?.js"),
        ("https://shop.example/assets/my-app-B_x-3k2a.js", "/assets/my-app-?.js"),  # "-" inside the hash
        ("https://shop.example/assets/chunk-ABCDEFGH.js", "/assets/chunk-?.js"),
        ("https://shop.example/static/3f9a8c1b7e/app.js", "/static/?/app.js"),
        # versions in a directory
        ("https://cdn.example/shop/3.1.0/app.js", "/shop/?/app.js"),
        ("https://cdn.example/shop/v3.1.0-beta.2/app.js", "/shop/?/app.js"),
        # names that are no hashes stay
        ("https://shop.example/static/js/user-settings.js", "/static/js/user-settings.js"),
        ("https://shop.example/static/js/user-Settings.js", "/static/js/user-Settings.js"),
        ("https://shop.example/static/js/facade.js", "/static/js/facade.js"),
        ("https://shop.example/static/js/deadbeefcafe.js", "/static/js/deadbeefcafe.js"),  # hex, but no digit
        ("https://shop.example/v2/app.js", "/v2/app.js"),
        ("https://shop.example/js/jquery-3.7.1.min.js", "/js/jquery-3.7.1.min.js"),
    ],
)
def test_js_path_module(path, module):
    assert js_path_module(path) == module


@pytest.mark.parametrize(
    ("function", "name"),
    [
        ("checkStock", "checkStock"),
        ("Object.checkStock", "checkStock"),
        ("HTMLButtonElement.onBuy", "onBuy"),
        ("HTMLAnchorElement.onBuy", "onBuy"),
        ("Module.priceOf", "priceOf"),
        ("Cart.prototype.total", "total"),
        ("exports.handler", "handler"),
        ("async openCart", "openCart"),
        ("async Object.openCart", "openCart"),
        ("new Cart", "Cart"),
        ("Object.reserve [as hold]", "reserve"),
        ("async Object.reserve [as hold]", "reserve"),
        ("checkout/<", ""),  # Firefox: an anonymous function inside checkout
        ("checkout/total<", "total"),
        # anonymous: nothing to group by
        ("?", ""),
        ("", ""),
        ("<anonymous>", ""),
        ("Object.<anonymous>", ""),
        ("anonymous", ""),
        ("Anonymous function", ""),
        ("eval", ""),
    ],
)
def test_js_function_name(function, name):
    assert js_function_name(function) == name


def frame(function, filename="https://shop.example/static/js/app.js?v=1", module=None, in_app=True):
    return {"function": function, "filename": filename, "abs_path": filename, "module": module, "in_app": in_app}


def event(*frames, platform="javascript", type_="TypeError", value="x is undefined", mechanism=None, **fields):
    exception = {"type": type_, "value": value, "stacktrace": {"frames": list(frames)}}
    if mechanism:
        exception["mechanism"] = mechanism
    return {"platform": platform, "exception": {"values": [exception]}, **fields}


def test_frames_without_a_name_or_a_file_do_not_contribute():
    key = key_of(
        event(
            frame("?"),
            frame("Array.forEach", filename="<anonymous>"),
            frame("forEach", filename="[native code]"),
            frame("Object.<anonymous>"),
            frame("checkout"),
        )
    )
    assert key.parts == ("type: TypeError", "frame: /static/js/app.js checkout")


def test_an_exception_whose_frames_all_fail_to_contribute_is_told_by_its_value():
    first = key_of(event(frame("?"), frame("Array.map", filename="<anonymous>"), value="cart 7 is empty"))
    second = key_of(event(frame("?"), value="price of 12 items missing"))
    assert first.parts == ("type: TypeError", "value: cart <num> is empty")
    assert first.hash != second.hash


def test_the_sdks_module_name_is_used_without_its_query_string():
    key = key_of(event(frame("priceOf", filename="/srv/app/shop/prices.mjs?v=2", module="shop:prices.mjs?v=2")))
    assert key.parts[1:] == ("frame: shop:prices.mjs priceOf",)


def test_a_node_module_name_loses_its_content_hash():
    key = key_of(event(frame("render", filename="/srv/app/dist/app.3f9a8c1b.js", module="dist:app.3f9a8c1b")))
    assert key.parts[1:] == ("frame: dist:app.? render",)


def test_the_rules_are_javascripts_only():
    python = event(
        frame("async_checkout", filename="/srv/app/shop/views.py", module="shop.views"),
        frame("<lambda>", filename="/srv/app/shop/views.py", module="shop.views"),
        platform="python",
    )
    assert key_of(python).parts == key_of(python, "2026-11").parts


def test_a_synthetic_exception_is_its_message():
    synthetic = {"type": "generic", "handled": True, "synthetic": True}
    low = event(frame("reportStock"), type_="", value="Stock low for SKU-1: 2 left", mechanism=synthetic)
    late = event(frame("reportStock"), type_="", value="Stock report is late", mechanism=synthetic)
    assert key_of(low).parts == ("message: Stock low for SKU-<num>: <num> left", "frame: /static/js/app.js reportStock")
    assert key_of(low).hash != key_of(late).hash
    # captureException of a string or an object: the type the SDK chose ("Error") does not count
    typed = event(frame("reportStock"), type_="Error", value="Stock report is late", mechanism=synthetic)
    assert key_of(typed).hash == key_of(late).hash


def test_a_synthetic_exception_with_a_template_groups_by_the_template():
    synthetic = {"type": "generic", "synthetic": True}
    sent = [
        event(
            frame("reportStock"),
            type_="",
            value=f"Stock low for {sku}",
            mechanism=synthetic,
            logentry={"message": "Stock low for %s", "params": [sku]},
        )
        for sku in ("anvil", "rope")
    ]
    assert key_of(sent[0]).parts[0] == "message: Stock low for %s"
    assert key_of(sent[0]).hash == key_of(sent[1]).hash


def test_a_synthetic_exception_without_frames_is_its_message_alone():
    synthetic = {"type": "generic", "synthetic": True}
    key = key_of(event(type_="Error", value="Stock report is late", mechanism=synthetic))
    assert (key.kind, key.parts) == ("exception", ("message: Stock report is late",))


def test_frame_parts_are_cached():
    v2026_12._js_frame_part_of.cache_clear()
    for _ in range(3):
        key_of(event(frame("checkout"), frame("total")))
    info = v2026_12._js_frame_part_of.cache_info()
    assert (info.misses, info.hits) == (2, 4)
