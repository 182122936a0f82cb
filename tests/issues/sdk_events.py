"""Writes real sentry-sdk events into grouping_cases/ (run by hand: `.venv/bin/python -m tests.issues.sdk_events`).

Each case file holds the event exactly as the SDK would send it (captured by a transport that keeps envelopes
instead of sending them) and the grouping key expected for it. Regenerate when upgrading sentry-sdk, then review
the diff: a changed expected key means issues would split or merge for users of that SDK.
"""

import json
import logging
import sys
from pathlib import Path

import sentry_sdk
from sentry_sdk.transport import Transport

CASES = Path(__file__).parent / "grouping_cases"


class KeepingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.events = []

    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                event = json.loads(item.payload.get_bytes())
                event.pop("modules", None)  # the installed package list: long, and irrelevant to grouping
                self.events.append(event)


class OrderNotFound(Exception):
    pass


def load_order(order_id):
    raise OrderNotFound(f"order {order_id} not found")


def checkout(order_id):
    total = 0  # noqa: F841 (a local the SDK captures)
    return load_order(order_id)


def parse_amount(text):
    return int(text)


def handle_payment(text):
    try:
        return parse_amount(text)
    except ValueError as error:
        raise RuntimeError("payment failed") from error


def capture_all(transport):
    logger = logging.getLogger("shop.orders")
    for order_id in (17, 4242):
        try:
            checkout(order_id)
        except OrderNotFound:
            sentry_sdk.capture_exception()
    try:
        handle_payment("12x")
    except RuntimeError:
        sentry_sdk.capture_exception()
    try:
        {}["missing"]  # noqa: B018
    except KeyError:
        sentry_sdk.capture_exception()
    for user in ("alice", "bob"):
        logger.error("User %s could not log in", user)
    sentry_sdk.capture_message("Disk almost full on host 10.0.0.12: 93% used")
    with sentry_sdk.new_scope() as scope:
        scope.fingerprint = ["payment-gateway", "{{ default }}"]
        try:
            handle_payment("x")
        except RuntimeError:
            sentry_sdk.capture_exception()
    return transport.events


def warn_about_stock(sku, secret_token):
    # A message sent with attach_stacktrace: the SDK puts the calling stack (with locals) in `threads`.
    logging.getLogger("shop.stock").error("Stock of %s is out", sku)


def init_sdk(transport, **options) -> None:
    """The SDK as the shop in these cases configures it, sending to `transport`."""
    sentry_sdk.init(
        dsn="http://public@127.0.0.1:9/1",
        transport=transport,
        release="shop@1.4.2",
        environment="production",
        server_name="web-1",
        include_local_variables=True,
        **options,
    )


def capture_with_stacktrace(transport) -> list[dict]:
    init_sdk(transport, attach_stacktrace=True)
    from tests.issues import sdk_events

    sdk_events.warn_about_stock("SKU-7", secret_token="tok-123456")
    sentry_sdk.flush()
    return transport.events


def write_case(name: str, event: dict) -> None:
    path = CASES / f"{name}.json"
    existing = json.loads(path.read_text()) if path.exists() else {}
    case = {"description": existing.get("description", ""), "event": event, "expected": existing.get("expected")}
    path.write_text(json.dumps(case, indent=1, sort_keys=True) + "\n")
    print("wrote", path, file=sys.stderr)


def main():
    transport = KeepingTransport()
    init_sdk(transport, default_integrations=True)
    # Through the imported module, so that frames name it as an application would ("tests.issues.sdk_events").
    from tests.issues import sdk_events

    events = sdk_events.capture_all(transport)
    sentry_sdk.flush()
    names = [
        "sdk_exception_order_17",
        "sdk_exception_order_4242",
        "sdk_chained_exception",
        "sdk_keyerror",
        "sdk_logging_alice",
        "sdk_logging_bob",
        "sdk_capture_message",
        "sdk_fingerprint_with_default",
    ]
    for name, event in zip(names, events, strict=True):
        write_case(name, event)
    [with_stack] = capture_with_stacktrace(KeepingTransport())
    write_case("sdk_message_with_stacktrace", with_stack)


if __name__ == "__main__":
    main()
