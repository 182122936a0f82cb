"""Writes real sentry-sdk events for the rules of grouping version 2026-12 into grouping_cases/ (run by hand:
`.venv/bin/python -m tests.issues.sdk_python_rules`; then `TRACEHOUND_ACCEPT_GROUPING=2026-12 pytest
tests/issues/test_grouping_cases.py` for the expected keys, and review them).

Each pair below is one bug seen twice, or two bugs, as the shop's code would produce them: the raise sites, the
class-based views, the recursion and the task groups live in this module, so their frames and source lines are real.
"""

import asyncio

import sentry_sdk

from tests.issues.sdk_events import KeepingTransport, init_sdk, write_case


def validate_cart(cart):
    if not cart["items"]:
        raise ValueError("the cart is empty")
    if cart["total"] < 0:
        raise ValueError("the cart total is negative")
    return cart


class CheckoutView:
    def post(self, request):
        return request["cart"]["total"] / request["cart"]["count"]


class RefundView:
    def post(self, request):
        return request["payment"]["amount"] / request["payment"]["parts"]


def walk(node, depth):
    if depth == 0:
        raise RecursionError(f"category tree too deep at {node}")
    return walk(node + 1, depth - 1)


async def fetch_shard(n):
    raise ConnectionError(f"shard {n} unreachable")


async def fetch_price(n):
    raise TimeoutError(f"price {n} timed out")


async def gather_all(jobs):
    async with asyncio.TaskGroup() as group:
        for job, n in jobs:
            group.create_task(job(n))


def capture(call, *args) -> None:
    try:
        call(*args)
    except BaseException:
        sentry_sdk.capture_exception()


def run_group(jobs) -> None:
    asyncio.run(gather_all(jobs))


def capture_all(transport) -> list[dict]:
    # Each pair is captured from one line, as one call site of the shop would: only the code under it differs.
    for cart in ({"items": [], "total": 1}, {"items": [1], "total": -5}):
        capture(validate_cart, cart)
    for view, request in (
        (CheckoutView(), {"cart": {"total": 10, "count": 0}}),
        (RefundView(), {"payment": {"amount": 10, "parts": 0}}),
    ):
        capture(view.post, request)
    for depth in (3, 30):
        capture(walk, 0, depth)
    for jobs in ([(fetch_shard, 1)], [(fetch_shard, n) for n in range(3)], [(fetch_shard, 1), (fetch_price, 2)]):
        capture(run_group, jobs)
    sentry_sdk.capture_message("Query on db.internal:5432 took 1234ms and returned 512 KB")
    sentry_sdk.capture_message("Query on replica-2.internal:6432 took 87.5 s and returned 3 MB")
    sentry_sdk.flush()
    return transport.events


NAMES = [
    "py_raise_site_empty_cart",
    "py_raise_site_negative_total",
    "py_method_checkout_view_post",
    "py_method_refund_view_post",
    "py_recursion_depth_3",
    "py_recursion_depth_30",
    "py_exception_group_one_child",
    "py_exception_group_three_alike",
    "py_exception_group_two_problems",
    "py_message_duration_size_host_a",
    "py_message_duration_size_host_b",
]


def main():
    transport = KeepingTransport()
    init_sdk(transport, default_integrations=True)
    from tests.issues import sdk_python_rules  # frames name the module as an application's would

    for name, event in zip(NAMES, sdk_python_rules.capture_all(transport), strict=True):
        write_case(name, event)


if __name__ == "__main__":
    main()
