"""The cost of a project's inbound filters per event: 50 active filters of every kind against events none of them
drops (the common case, and the worst: every filter's field is looked at).

    SECRET_KEY=x .venv/bin/python bench/filters.py [--seconds 3]

The filters are compiled as digest compiles them (issues/inbound_filters.py, compile_filters: one test per kind
of field); each event is a raw event as sentry-sdk sends it (an exception chain of two, a message, a request with
a browser's User-Agent and a URL, a user's IP address, eight tags, release, environment, logger), 200 distinct
events cycled, with the User-Agents of 20 browsers (the crawler verdict is remembered per User-Agent, as a
project's traffic repeats its User-Agents). Reported: microseconds of CPU per event (median of rounds), beside
bench/machine.py's reference. Budget (DESIGN.md): 50 active filters < 20 us per event. No database is used.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from bench.machine import reference_us  # noqa: E402
from issues.inbound_filters import compile_filters  # noqa: E402

FILTERS = (
    [("exception_type", pattern) for pattern in ("DisallowedHost", "Suspicious*", "*Timeout", "Http404", "Broken*",
                                                 "*.PermissionDenied", "ClientDisconnect*", "Cancelled*",
                                                 "*Abort*", "SystemExit")]
    + [("message", pattern) for pattern in ("*invalid HTTP_HOST*", "Connection reset*", "*robots.txt*",
                                            "Not Found: *", "*favicon*", "*timed out", "ResizeObserver*",
                                            "*Script error*")]
    + [("release", pattern) for pattern in ("0.*", "1.0.*", "*-dev", "*-rc?", "legacy-*", "test")]
    + [("environment", name) for name in ("development", "test", "ci", "local")]
    + [("level", "debug"), ("level", "info")]
    + [("logger", pattern) for pattern in ("django.security.*", "urllib3.*", "asyncio", "*.healthz")]
    + [("tag", pattern) for pattern in ("browser:HeadlessChrome*", "browser:PhantomJS*", "os:Unknown*",
                                        "device:Spider", "url:*localhost*", "region:test-*", "transaction:/-/*",
                                        "customer:internal-*")]
    + [("client_ip", network) for network in ("10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12", "100.64.0.0/10",
                                              "2001:db8::/32")]
    + [("crawler", ""), ("localhost", ""), ("health_check", "")]
)  # fmt: skip
assert len(FILTERS) == 50

BROWSERS = [
    f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{120 + n}.0.0.0 "
    "Safari/537.36"
    for n in range(10)
] + [f"Mozilla/5.0 (X11; Linux x86_64; rv:{110 + n}.0) Gecko/20100101 Firefox/{110 + n}.0" for n in range(10)]


def event(n: int) -> dict:
    return {
        "event_id": f"{n:032x}",
        "level": "error",
        "logger": "shop.checkout",
        "platform": "python",
        "release": f"shop@2.{n % 7}.{n % 3}",
        "environment": "production",
        "message": f"checkout failed for order {n}",
        "exception": {
            "values": [
                {"type": "KeyError", "value": f"'sku-{n}'"},
                {"type": "CheckoutError", "value": f"cart {n} has {n % 9} items but no shipping address"},
            ]
        },
        "request": {
            "url": f"https://shop.example.com/checkout/{n}/confirm",
            "method": "POST",
            "headers": {"User-Agent": BROWSERS[n % len(BROWSERS)], "Accept": "text/html", "Host": "shop.example.com"},
        },
        "user": {"id": str(n), "ip_address": f"203.0.{n % 250}.{n % 200 + 1}"},
        "tags": {
            "browser": "Chrome 124",
            "os": "Windows 10",
            "device": "Other",
            "url": f"https://shop.example.com/checkout/{n}/confirm",
            "region": "eu-west-1",
            "transaction": "/checkout/<id>/confirm",
            "customer": f"c-{n}",
            "server_name": "web-3",
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rows = [(n, kind, pattern, None, None) for n, (kind, pattern) in enumerate(FILTERS, start=1)]
    filters = compile_filters((), rows)
    events = [event(n) for n in range(200)]
    assert all(filters.first_match(data) is None for data in events)  # none dropped: every group is looked at
    rounds = []
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        started = time.process_time()
        for _ in range(10):
            for data in events:
                filters.first_match(data)
        rounds.append((time.process_time() - started) / (10 * len(events)) * 1e6)
    median, best = statistics.median(rounds), min(rounds)
    print(f"50 active filters, events none of them drops: {median:.1f} us per event", end=" ")
    print(f"(median of {len(rounds)} rounds of 2,000; best {best:.1f}); machine reference {reference_us():.0f} us")


if __name__ == "__main__":
    main()
