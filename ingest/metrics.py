"""Ingest's Prometheus metrics (exposed at /metrics: config/metrics.py). Labels are bounded: an outcome is one of a
few words written in this code, a project one of the projects; never anything a client chose."""

from prometheus_client import Counter, Histogram

requests = Counter(
    "tracehound_ingest_requests",
    "Ingest requests by outcome: accepted, or the reason of the refusal (rate_limited is the 429).",
    ["outcome"],
)
events = Counter(
    "tracehound_ingest_events",
    "Items a project sent, by what ingest did with them (accepted, ...).",
    ["project", "outcome"],
)
spooled = Counter("tracehound_ingest_spooled_events", "Accepted events written to the disk spool (database away).")
received_bytes = Counter("tracehound_ingest_received_bytes", "Request body bytes received, as sent (compressed).")
duration = Histogram(
    "tracehound_ingest_request_duration_seconds",
    "Ingest requests, from the request's start to its answer.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
