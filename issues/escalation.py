"""Escalation: an issue whose event rate spikes well above its usual rate, computed from the hourly rollup.

The rule (each number a TRACEHOUND setting, defaults in brackets). An issue escalates when, in the current clock
hour (UTC), it has
- at least ESCALATION_MIN_EVENTS events [50]: a handful of events is noise whatever the ratio, and
- at least ESCALATION_FACTOR [10] times its usual hourly rate: the average of its hourly counts over the
  ESCALATION_BASELINE_HOURS [168, a week] before the current hour, counting the quiet hours as zero and only the
  hours since the issue was first seen (a three-day-old issue's usual rate is its three-day average),
and the issue
- is at least ESCALATION_MIN_AGE_HOURS old [24]: before that it has no usual rate, and its first burst is what
  the NEW transition already announced;
- did not escalate in the last ESCALATION_COOLDOWN_HOURS [24]: a spike lasting several hours is one escalation
  (the spike also raises the usual rate, so a lasting new level stops counting as a spike within days);
- is not resolved (an event after the resolution is a regression, the stronger news) and not muted "forever"
  (that mute lasts until someone unmutes). A mute for a while (1 h, 24 h, 7 d) silences the usual noise, not a
  spike: the escalating issue is unmuted, and the batch writes UNMUTED then ESCALATED. (These two are the state
  machine's rules, issues/lifecycle.py.)

This is Sentry's idea of an escalating issue (volume well above its forecast) with the forecast reduced to the
issue's own recent average, which the rollup gives for one indexed read per issue.

Digest calls `escalating_issues` for the issues of a batch while it holds their row locks and before it adds the
batch's counts to the rollup: the counts read are complete (every other batch touching these issues either
committed before the lock was granted or waits for this one), so two workers never both escalate one issue.
"""

from datetime import datetime, timedelta

from django.db.models import Sum

from issues.models import IssueHourlyCount, IssueTransition
from projects.options import option

HOUR = timedelta(hours=1)


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def old_enough(issue: dict, now: datetime) -> bool:
    """Whether `issue` (a row as digest read it, before this batch) is old enough to have a usual rate. (Which
    states may escalate is the state machine's rule: issues/lifecycle.py, may_escalate.)"""
    return issue["first_seen"] <= hour_of(now) - option("ESCALATION_MIN_AGE_HOURS") * HOUR


def escalating_issues(issues: list[dict], batch_counts: dict[int, int], now: datetime) -> dict[int, dict]:
    """Issue id -> the figures that made it escalate, for those of `issues` that escalate with this batch.

    `issues` are rows with id and first_seen, already passed through `old_enough` and the state machine's
    `may_escalate`; `batch_counts` holds the number of this batch's events of each issue that fall in the current
    hour (not yet in the rollup)."""
    if not issues:
        return {}
    hour = hour_of(now)
    min_events = option("ESCALATION_MIN_EVENTS")
    # First the current hour alone (one row per issue): the usual case ends here, below the minimum.
    current = dict(
        IssueHourlyCount.objects.filter(issue_id__in=[issue["id"] for issue in issues], hour=hour).values_list(
            "issue_id", "count"
        )
    )
    candidates = {}
    for issue in issues:
        count = current.get(issue["id"], 0) + batch_counts.get(issue["id"], 0)
        if batch_counts.get(issue["id"]) and count >= min_events:
            candidates[issue["id"]] = (issue, count)
    if not candidates:
        return {}
    baseline_hours = option("ESCALATION_BASELINE_HOURS")
    before = dict(
        IssueHourlyCount.objects.filter(issue_id__in=candidates, hour__gte=hour - baseline_hours * HOUR, hour__lt=hour)
        .values("issue_id")
        .annotate(total=Sum("count"))
        .values_list("issue_id", "total")
    )
    recently_escalated = set(
        IssueTransition.objects.filter(
            issue_id__in=candidates,
            kind=IssueTransition.Kind.ESCALATED,
            created_at__gte=now - option("ESCALATION_COOLDOWN_HOURS") * HOUR,
        ).values_list("issue_id", flat=True)
    )
    factor = option("ESCALATION_FACTOR")
    escalating = {}
    for issue_id, (issue, count) in candidates.items():
        hours_known = min(baseline_hours, max(1, int((hour - hour_of(issue["first_seen"])) / HOUR)))
        usual = before.get(issue_id, 0) / hours_known
        if count >= factor * usual and issue_id not in recently_escalated:
            escalating[issue_id] = {"events_this_hour": count, "usual_per_hour": round(usual, 2), "factor": factor}
    return escalating
