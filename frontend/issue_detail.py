"""What the issue page reads: one event and its neighbours, tag facets, occurrence histograms, grouping keys.

Each piece is one indexed query bounded in size (events by the (issue, timestamp, id) index, the top values per
tag key, at most 30 days of hourly counts), so the page costs the same for an issue with ten events or a million.
"""

from collections import defaultdict
from datetime import UTC, timedelta

from django.db.models import F, Q, Sum, Window
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from frontend.listing import hours_of_last_day, last_day_counts
from issues.models import Event, Issue, IssueHourlyCount, IssueTag

TOP_VALUES_PER_TAG = 5
HISTORY_ROWS = 10


def stored_events(issue: Issue) -> int:
    """How many of the issue's events were stored (the rest were only counted, past the flood cap): from its
    hourly counts, one indexed read of at most an hour's row per hour of the retention period."""
    return IssueHourlyCount.objects.filter(issue=issue).aggregate(total=Sum("stored"))["total"] or 0


def latest_event(issue: Issue) -> Event | None:
    return Event.objects.filter(issue=issue).order_by("-timestamp", "-id").first()


def neighbours(event: Event) -> dict:
    """Primary keys of the newer, older, newest and oldest events of the event's issue (None at either end)."""
    events = Event.objects.filter(issue_id=event.issue_id)
    newer = Q(timestamp__gt=event.timestamp) | Q(timestamp=event.timestamp, id__gt=event.pk)
    older = Q(timestamp__lt=event.timestamp) | Q(timestamp=event.timestamp, id__lt=event.pk)
    first = events.filter(newer).order_by("timestamp", "id").values_list("id", flat=True).first()
    last = events.filter(older).order_by("-timestamp", "-id").values_list("id", flat=True).first()
    return {
        "newer": first,
        "older": last,
        "newest": events.order_by("-timestamp", "-id").values_list("id", flat=True).first() if first else None,
        "oldest": events.order_by("timestamp", "id").values_list("id", flat=True).first() if last else None,
    }


def tag_facets(issue: Issue) -> list[dict]:
    """Per tag key: the most frequent values with their share of the key's events, most frequent first."""
    rows = (
        IssueTag.objects.filter(issue=issue)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("key")], order_by=[F("times_seen").desc(), F("value").asc()]),
            key_total=Window(Sum("times_seen"), partition_by=[F("key")]),
        )
        .filter(rank__lte=TOP_VALUES_PER_TAG)
        .order_by("key", "rank")
        .values_list("key", "value", "times_seen", "key_total")
    )
    facets: dict[str, list] = defaultdict(list)
    for key, value, times_seen, key_total in rows:
        share = round(100 * times_seen / key_total) if key_total else 0
        facets[key].append({"value": value, "times_seen": times_seen, "share": share})
    return [{"key": key, "values": values} for key, values in facets.items()]


def histograms(issue: Issue) -> dict:
    """Events per hour over the last 24 hours and per day over the last 30 days, from the hourly rollup.

    The database sums the days (at most 30 rows instead of 720 hourly ones) and names each of the last 24 hours
    by its hour of the day, so the page parses a few dozen small values instead of hundreds of timestamps.
    """
    hours = hours_of_last_day()
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    days = [(today - timedelta(days=29 - i)).date() for i in range(30)]
    rollup = IssueHourlyCount.objects.filter(issue=issue)
    per_day = dict(
        rollup.filter(hour__gte=today - timedelta(days=29))
        .annotate(day=TruncDate("hour", tzinfo=UTC))
        .values("day")
        .annotate(total=Sum("count"))
        .values_list("day", "total")
    )
    per_hour_of_day = last_day_counts([issue.pk])[issue.pk]
    return {
        "day": [(f"{hour:%Y-%m-%d %H}:00", count) for hour, count in zip(hours, per_hour_of_day, strict=True)],
        "month": [(f"{day:%Y-%m-%d}", per_day.get(day, 0)) for day in days],
    }


def history(issue: Issue) -> list:
    return list(issue.transitions.select_related("actor").order_by("-created_at", "-id")[:HISTORY_ROWS])
