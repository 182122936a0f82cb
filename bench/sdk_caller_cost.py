"""Cost on the caller's thread per captured exception: tracehound vs sentry-sdk, in one run.

Both SDKs report the same exception through the same path (``logger.exception`` with an ERROR-level
logging handler/integration), 13 frames deep, every frame with locals, context lines on. Both send to
the same local sink (a separate process answering 200, so the sink does not compete for this process's
GIL). Only the ``logger.exception`` call is timed; after every batch of 50 both queues are flushed
outside the timed region, so neither queue overflows and every event is really sent (the sink's
counts are printed to prove it). Two clocks: ``thread_time`` (CPU of the calling thread alone, the
primary figure: the background sender's work is excluded by construction) and wall time (includes
waiting for the GIL while a sender thread serialises the previous batch).

Run:  .venv/bin/python bench/sdk_caller_cost.py [--rounds 40]
"""

from __future__ import annotations

import argparse
import http.server
import json
import logging
import statistics
import subprocess
import sys
import threading
import time

BATCH = 50
DEPTH = 13  # frames in the traceback, from the catching frame to the raise


def sink_main() -> None:
    counts: dict = {}
    lock = threading.Lock()

    class SinkHandler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            auth = self.headers.get("X-Sentry-Auth", "")
            client = auth.split("sentry_client=")[-1].split("/")[0].strip(", ") or "?"
            with lock:
                counts[client] = counts.get(client, 0) + 1
            body = b'{"id":"0"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            body = json.dumps(counts).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SinkHandler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


class Order:
    def __init__(self, n):
        self.id = n
        self.lines = [{"sku": f"SKU-{i}", "qty": i, "price": 9.99 * i} for i in range(5)]

    def __repr__(self):
        return f"<Order {self.id} with {len(self.lines)} lines>"


def level(n, order, customer):
    # A few locals of the usual kinds in every frame.
    step = f"step-{n}"
    totals = {"net": 100.0 + n, "tax": 20.0, "currency": "EUR", "items": list(range(8))}
    flags = (True, None, n % 2 == 0)
    if n >= DEPTH - 1:
        raise ValueError(f"payment declined for order {order.id} at {step}")
    return level(n + 1, order, customer) + len(totals) + len(flags)


class Timings:
    """Collects per-call nanoseconds; kept out of the measured frames' locals (its repr is short)."""

    def __init__(self):
        self.cpu: list = []
        self.wall: list = []

    def __repr__(self):
        return f"<Timings {len(self.cpu)}>"


def run_batch(logger, timings):
    order = Order(7)
    customer = {"id": 42, "name": "Ada", "email": "ada@example.org", "tier": "gold"}
    for _ in range(BATCH):
        try:
            level(1, order, customer)  # this frame + 12 levels = 13 frames
        except ValueError:
            c0 = time.thread_time_ns()
            w0 = time.perf_counter_ns()
            logger.exception("checkout failed for customer %s", customer["id"])
            w1 = time.perf_counter_ns()
            c1 = time.thread_time_ns()
            timings.cpu.append(c1 - c0)
            timings.wall.append(w1 - w0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        sink_main()
        return

    sink = subprocess.Popen([sys.executable, __file__, "--sink"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(sink.stdout.readline())
        measure(port, args.rounds)
    finally:
        sink.terminate()
        sink.wait()


def measure(port: int, rounds: int) -> None:
    import sentry_sdk
    import tracehound
    from sentry_sdk.integrations.logging import LoggingIntegration, ignore_logger

    sentry_sdk.init(
        dsn=f"http://publickey@127.0.0.1:{port}/1",
        default_integrations=False,
        auto_enabling_integrations=False,
        # level=None: no breadcrumbs from logging. With breadcrumbs on, sentry-sdk also keeps every reported
        # error record as a breadcrumb, so after 100 events each event carries 100 breadcrumbs and costs
        # several times more (about 14 ms here); that is not the same data as tracehound sends.
        integrations=[LoggingIntegration(level=None, event_level=logging.ERROR)],
        include_local_variables=True,
    )
    th_logger = logging.getLogger("bench.tracehound")
    th_logger.propagate = False
    ignore_logger("bench.tracehound")  # sentry-sdk must not see tracehound's records
    handler = tracehound.Handler(dsn=f"http://publickey@127.0.0.1:{port}/2", level="ERROR", breadcrumb_level=None)
    th_logger.addHandler(handler)

    se_logger = logging.getLogger("bench.sentry")
    se_logger.propagate = False  # reaches sentry-sdk through its patched Logger.callHandlers
    se_logger.addHandler(logging.NullHandler())

    results = {"tracehound": Timings(), "sentry-sdk": Timings()}
    loggers = {"tracehound": th_logger, "sentry-sdk": se_logger}
    flushers = {"tracehound": lambda: tracehound.flush(10), "sentry-sdk": lambda: sentry_sdk.flush(10)}
    for name in loggers:  # warm up caches (linecache, imports) outside the measurement
        run_batch(loggers[name], Timings())
        flushers[name]()
    for _ in range(rounds):
        for name in ("tracehound", "sentry-sdk"):  # interleaved so machine noise hits both alike
            run_batch(loggers[name], results[name])
            flushers[name]()
    time.sleep(0.2)
    import urllib.request

    counts = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/").read())

    print(f"per captured exception, {DEPTH} frames with locals and context lines; {rounds} x {BATCH} events each")
    print(f"{'sdk':<11} {'cpu median us':>14} {'cpu mean us':>14} {'wall median us':>14} {'wall p95 us':>14}")
    summary = {}
    for name, timings in results.items():
        wall_sorted = sorted(timings.wall)
        summary[name] = statistics.median(timings.cpu)
        cpu_median = statistics.median(timings.cpu) / 1000
        cpu_mean = statistics.mean(timings.cpu) / 1000
        wall_median = statistics.median(timings.wall) / 1000
        wall_p95 = wall_sorted[int(len(wall_sorted) * 0.95)] / 1000
        print(f"{name:<11} {cpu_median:14.1f} {cpu_mean:14.1f} {wall_median:14.1f} {wall_p95:14.1f}")
    ratio = summary["tracehound"] / summary["sentry-sdk"]
    print(f"ratio tracehound/sentry-sdk (cpu median): {ratio:.3f} (budget <= 0.200)")
    print(f"events received by the sink: {counts}")
    print(f"tracehound drops: {handler.client.transport.dropped}")


if __name__ == "__main__":
    main()
