"""Digest's Prometheus metrics (exposed at /metrics: config/metrics.py); no issue or event ids in labels."""

from prometheus_client import Counter, Histogram

batches = Counter("tracehound_digest_batches", "Digest batches (one transaction each), committed or failed.")
events = Counter(
    "tracehound_digest_events",
    "Events digest took on, by result: stored, duplicate (stored before), failed (to be retried or set aside), "
    "orphan (project deleted).",
    ["result"],
)
set_aside = Counter("tracehound_digest_set_aside_events", "Events set aside after failing every attempt.")
issues_created = Counter("tracehound_issues_created", "New issues (first event of a grouping key).")
lag = Histogram(
    "tracehound_digest_lag_seconds",
    "Per batch: how long its oldest event waited between ingest's accept and digest's commit.",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
