"""What the Prometheus metrics cost ingest per accepted event, in-process: the metric calls one accepted event makes
(ingest/endpoint.py, ingest/outcomes.py: the requests counter, the project's events counter, the bytes counter, the
duration histogram), timed in prometheus-client's multiprocess mode (memory-mapped files, as with
TRACEHOUND_METRICS_TOKEN set) and in its default in-memory mode (the token unset), in fresh processes.

Reproduce: `.venv/bin/python bench/metrics_cost.py [--events 200000] [--rounds 5]`. Figures: bench/README.md,
Metrics.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

MEASURE = """
import sys, time
from prometheus_client import Counter, Histogram, values
requests = Counter("tracehound_ingest_requests", "", ["outcome"])
events = Counter("tracehound_ingest_events", "", ["project", "outcome"])
received = Counter("tracehound_ingest_received_bytes", "")
duration = Histogram("tracehound_ingest_request_duration_seconds", "",
                     buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10))
n = int(sys.argv[1])
started = time.process_time()
for i in range(n):
    received.inc(3600)
    events.labels(i % 20, "accepted").inc(1)
    requests.labels("accepted").inc()
    duration.observe(0.004)
elapsed = time.process_time() - started
print(f"{elapsed / n * 1e6:.2f} {values.ValueClass.__name__}")
"""


def measure(events: int, multiprocess: bool) -> tuple[float, str]:
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    with tempfile.TemporaryDirectory(prefix="th-metrics-") as directory:
        if multiprocess:
            env["PROMETHEUS_MULTIPROC_DIR"] = directory
        output = subprocess.run(
            [sys.executable, "-c", MEASURE, str(events)], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
    return float(output[0]), output[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print("| round | multiprocess (files) us/event | in memory us/event | difference us/event |")
    print("|---|---|---|---|")
    for round_number in range(1, args.rounds + 1):
        files, files_class = measure(args.events, multiprocess=True)
        memory, memory_class = measure(args.events, multiprocess=False)
        assert files_class == "MmapedValue" and memory_class == "MutexValue", (files_class, memory_class)
        print(f"| {round_number} | {files:.2f} | {memory:.2f} | {files - memory:+.2f} |", flush=True)
        time.sleep(0.2)


if __name__ == "__main__":
    main()
