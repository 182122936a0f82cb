"""The per-issue flood cap: of one issue's events in one hour (of their timestamps), at most the project's
`flood_cap_per_hour` are stored. The others still count everywhere digest counts (times_seen, hourly and minute
counts, tag facets, users, transitions); only their payload is not kept. Always stored, past the cap too: the
first event of each release and of each environment the issue meets (the one a person looks for when it shows
up somewhere new), and every event a transition names (so history and alerts link to an event that exists).

What it gives up: digest tells a client's resend of an event (same event id) by its stored row, so a resend of an
event past the cap is counted again; SDKs resend only what they were not answered for, which ingest had not
accepted, so this is rare.

Digest calls `events_to_store` while it holds the batch's issue row locks (issues/digest.py, _update_issues) and
before it adds the batch to the hourly counts, so the stored counts it reads are complete and two workers never
both take the hour's last places.
"""

from collections import defaultdict

from issues.escalation import hour_of
from issues.models import IssueHourlyCount, IssueTag

FIRST_OF = ("release", "environment")
TAG_LENGTH = 200  # how digest keeps release and environment as tags (issues/digest.py, prepare)


def events_to_store(fresh: list, caps: dict[int, int | None], named_event_ids: set) -> list:
    """Those of `fresh` (prepared events with their issue ids, in arrival order) to store; `caps` maps project
    id -> cap (None: no cap); `named_event_ids` are the events this batch's transitions name."""
    by_issue_hour: dict[tuple[int, object], list] = defaultdict(list)
    for item in fresh:
        if caps.get(item.project_id) is not None:
            by_issue_hour[(item.issue_id, hour_of(item.timestamp))].append(item)
    if not by_issue_hour:
        return fresh
    stored = {
        (issue_id, hour): n
        for issue_id, hour, n in IssueHourlyCount.objects.filter(
            issue_id__in={issue_id for issue_id, _ in by_issue_hour}, hour__in={hour for _, hour in by_issue_hour}
        ).values_list("issue_id", "hour", "stored")
    }
    over = {
        key: items
        for key, items in by_issue_hour.items()
        if stored.get(key, 0) + len(items) > caps[items[0].project_id]
    }
    if not over:
        return fresh
    seen = set(
        IssueTag.objects.filter(issue_id__in={issue_id for issue_id, _ in over}, key__in=FIRST_OF).values_list(
            "issue_id", "key", "value"
        )
    )
    dropped = set()
    for (issue_id, hour), items in over.items():
        room = caps[items[0].project_id] - stored.get((issue_id, hour), 0)
        for item in items:
            first = False
            for key in FIRST_OF:
                value = getattr(item, key)[:TAG_LENGTH]
                if value and (issue_id, key, value) not in seen:
                    seen.add((issue_id, key, value))
                    first = True
            if room > 0 or first or item.event_id in named_event_ids:
                room -= 1
            else:
                dropped.add(item.inbox_id)
    return [item for item in fresh if item.inbox_id not in dropped]
