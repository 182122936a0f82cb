"""How fast this machine is at the moment: a fixed piece of work, timed on one core, reported beside each figure.

On the 2-core development machine the same code's CPU per event moved by up to a factor of two from one minute
to the next (its cores are shared with other tenants of the host), and so did this reference. A figure is to be
read together with the reference measured beside it: the lower the reference, the faster the machine was.
"""

import statistics
import time

import orjson

# An 18 KB event-like document, the same every run: a hundred breadcrumbs and a few frames with locals.
REFERENCE_DOCUMENT = orjson.dumps(
    {
        "event_id": "0" * 32,
        "breadcrumbs": {
            "values": [
                {"type": "log", "level": "info", "category": "shop.orders", "message": f"processing step {n}",
                 "timestamp": "2026-11-30T12:00:00.000000Z", "data": {}}
                for n in range(100)
            ]
        },
        "exception": {
            "values": [
                {"type": "ValueError", "value": "bad", "stacktrace": {"frames": [
                    {"function": f"f{n}", "module": "shop.orders", "lineno": n,
                     "vars": {"order": {"id": n, "lines": list(range(20)), "note": "x" * 200}}}
                    for n in range(12)
                ]}}
            ]
        },
    }
)  # fmt: skip


def reference_us(rounds: int = 5, loops: int = 300) -> float:
    """The median CPU time of parsing REFERENCE_DOCUMENT with orjson, in microseconds."""
    timings = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(loops):
            orjson.loads(REFERENCE_DOCUMENT)
        timings.append((time.process_time() - started) / loops * 1e6)
    return statistics.median(timings)
