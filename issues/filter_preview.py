"""What an inbound filter would have dropped: its matches among the project's events of the last PREVIEW_DAYS.

Read from the stored events themselves (the filter looks at the same fields there as in incoming events), newest
first, at most PREVIEW_SAMPLE of them, so a preview costs the same at a thousand events as at a million (about
half a second for the sample's decompression and matching). When the window holds more, the figures are the
sample's, scaled to the window's event count from the hourly rollup, and the preview says it is an estimate.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from issues.escalation import hour_of
from issues.inbound_filters import matcher
from issues.models import Event, Issue, IssueHourlyCount
from projects.models import Project

PREVIEW_DAYS = 7
PREVIEW_SAMPLE = 10_000
TOP_ISSUES = 20


@dataclass
class Preview:
    events: int  # events it would have dropped (estimated when sampled)
    issues: int  # issues those events belong to (of the sample, when sampled: at least this many)
    examined: int  # stored events looked at
    window_events: int  # events of the window (the hourly rollup's count)
    sampled: bool
    top: list[dict] = field(default_factory=list)  # {"issue": Issue, "events": n}, largest first


def preview_filter(project: Project, kind: str, pattern: str, now: datetime | None = None) -> Preview:
    """What a filter of `kind` with `pattern` (already cleaned: inbound_filters.clean_pattern) would have dropped."""
    now = now or timezone.now()
    since = now - timedelta(days=PREVIEW_DAYS)
    match = matcher(kind, pattern)
    rows = (
        Event.objects.filter(project=project, received_at__gte=since)
        .order_by("-id")
        .values_list("issue_id", "payload")[: PREVIEW_SAMPLE + 1]
    )
    examined = 0
    matched: Counter = Counter()
    sampled = False
    for issue_id, payload in rows.iterator(chunk_size=1000):
        if examined == PREVIEW_SAMPLE:
            sampled = True
            break
        examined += 1
        if match(Event(payload=payload).data):
            matched[issue_id] += 1
    window_events = (
        IssueHourlyCount.objects.filter(project=project, hour__gte=hour_of(since)).aggregate(total=Sum("count"))[
            "total"
        ]
        or 0
    )
    scale = window_events / examined if sampled and examined else 1
    largest = matched.most_common(TOP_ISSUES)
    issues = Issue.objects.in_bulk([issue_id for issue_id, _ in largest])
    return Preview(
        events=round(sum(matched.values()) * scale),
        issues=len(matched),
        examined=examined,
        window_events=window_events,
        sampled=sampled,
        top=[{"issue": issues[issue_id], "events": round(n * scale)} for issue_id, n in largest if issue_id in issues],
    )
