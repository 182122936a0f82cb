"""Writes the sentry-sdk side of the cases that js_sdk/capture.mjs writes for @sentry/node and @sentry/browser (run
by hand: `.venv/bin/python -m tests.issues.sdk_message_events`), in the way of tests/issues/sdk_events.py.

A JavaScript SDK sends a message with its stack as a synthetic exception; sentry-sdk sends it with the stack in
`threads`. Either way, two different messages from one function are two problems and the same message sent twice is
one. An async function fails with the same stack whether it awaited something before failing or not (V8 then names
the awaiting frames "async ..."; Python names them as always).
"""

import asyncio

import sentry_sdk

from tests.issues.sdk_events import KeepingTransport, init_sdk, write_case


def report_stock(sku, left):
    if left < 5:
        sentry_sdk.capture_message(f"Stock low for {sku}: {left} left", level="warning")
    else:
        sentry_sdk.capture_message("Stock report is late", level="warning")


async def sync_stock(sku, remote):
    if remote:
        await asyncio.sleep(0)
    raise ConnectionError(f"stock sync failed for {sku}")


async def nightly_sync(sku, remote):
    try:
        await sync_stock(sku, remote)
    except ConnectionError:
        sentry_sdk.capture_exception()


def capture_all(transport) -> list[dict]:
    # The SDK's dedupe integration drops an event identical to the one before: none follows its twin.
    report_stock("SKU-1", 2)
    report_stock("SKU-1", 40)
    report_stock("SKU-2", 3)
    report_stock("SKU-2", 50)
    asyncio.run(nightly_sync("SKU-3", remote=True))
    asyncio.run(nightly_sync("SKU-3", remote=False))
    sentry_sdk.flush()
    return transport.events


def main():
    transport = KeepingTransport()
    init_sdk(transport, attach_stacktrace=True)
    # Through the imported module, so that frames name it as an application would.
    from tests.issues import sdk_message_events

    names = [
        "sdk_message_low_sku1",
        "sdk_message_late_a",
        "sdk_message_low_sku2",
        "sdk_message_late_b",
        "sdk_async_awaited",
        "sdk_async_immediate",
    ]
    for name, event in zip(names, sdk_message_events.capture_all(transport), strict=True):
        write_case(name, event)


if __name__ == "__main__":
    main()
