"""Notify's Prometheus metrics (exposed at /metrics: config/metrics.py), by channel kind (a handful of words)."""

from prometheus_client import Counter

deliveries = Counter(
    "tracehound_alert_deliveries",
    "Messages tried by channel kind and result: sent, retrying (a retry is scheduled) or failed (given up).",
    ["kind", "result"],
)
