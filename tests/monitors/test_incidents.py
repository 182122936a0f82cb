"""Failures as issues: K failures in a row open an incident (a new issue, digested like any event), each failure
is an event of it, R successes resolve it as recovered, a later incident regresses it; and recovery alerts."""

from datetime import UTC, datetime, timedelta

import pytest

from issues.digest import digest_until_empty
from issues.models import Event, InboxItem, Issue, IssueTransition
from monitors.checkins import CheckInReport, record_check_in
from monitors.models import CheckIn, Monitor
from monitors.sweep import sweep
from notify.compose import headline
from notify.evaluate import handle_transitions
from notify.models import Alert, AlertRule
from tests.frontend.factories import make_user

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def run(monitor, status: str, at: datetime) -> CheckIn:
    monitor.refresh_from_db()
    return record_check_in(monitor, CheckInReport(status=status, source=CheckIn.Source.HTTP), now=at)


@pytest.fixture
def member_for_pages(team):
    return make_user(team, "ada")


@pytest.fixture
def job(project):
    return Monitor.objects.create(
        project=project,
        name="Stock sync",
        slug="stock-sync",
        schedule_type="interval",
        interval_value=10,
        interval_unit="minute",
        failure_threshold=2,
        recovery_threshold=2,
        environment="production",
    )


def test_k_failures_open_an_incident_r_successes_resolve_it_and_a_later_one_regresses_it(job):
    run(job, "error", T0)
    assert not InboxItem.objects.exists()  # one failure is not an incident yet
    run(job, "error", T0 + timedelta(minutes=10))
    assert InboxItem.objects.filter(item_type="event").count() == 2  # both failures of the streak
    digest_until_empty()
    [issue] = Issue.objects.filter(project=job.project)
    assert issue.title == "Monitor stock-sync failed" and issue.times_seen == 2
    assert list(issue.transitions.values_list("kind", flat=True)) == ["new"]
    event = Event.objects.filter(issue=issue).latest("timestamp")
    assert event.environment == "production"
    assert ["monitor", "stock-sync"] in event.data["tags"] and event.data["logger"] == "tracehound.monitors"

    # A missed check-in while the incident is open is another event of it.
    job.refresh_from_db()
    assert sweep(now=job.deadline + timedelta(seconds=1)).missed == 1
    digest_until_empty()
    issue.refresh_from_db()
    assert issue.times_seen == 3

    recovered_at = T0 + timedelta(hours=2, minutes=5)
    run(job, "ok", recovered_at - timedelta(minutes=10))
    issue.refresh_from_db()
    assert issue.status == "unresolved"  # one success of R = 2
    run(job, "ok", recovered_at)
    issue.refresh_from_db()
    assert issue.status == "resolved"
    recovery = issue.transitions.get(kind="recovered")
    assert recovery.actor is None
    assert recovery.details == {"outage_seconds": 2 * 3600 + 5 * 60}  # from the streak's first failure
    job.refresh_from_db()
    assert (job.incident_event_id, job.failing_since) == (None, None)

    # The next incident is the same issue, regressed.
    run(job, "error", recovered_at + timedelta(minutes=10))
    run(job, "error", recovered_at + timedelta(minutes=20))
    digest_until_empty()
    issue.refresh_from_db()
    assert issue.status == "unresolved" and issue.times_seen == 5
    assert list(issue.transitions.order_by("id").values_list("kind", flat=True)) == ["new", "recovered", "regressed"]


def test_successes_between_failures_reset_the_streak(job):
    for minutes, status in enumerate(["error", "ok", "error", "ok", "error"]):
        run(job, status, T0 + timedelta(minutes=10 * minutes))
    assert not InboxItem.objects.exists()


def test_a_recovery_waits_for_digest_to_store_the_last_failure_and_the_sweep_completes_it(job):
    run(job, "error", T0)
    run(job, "error", T0 + timedelta(minutes=10))
    run(job, "ok", T0 + timedelta(minutes=20))
    run(job, "ok", T0 + timedelta(minutes=30))  # R reached, but no issue yet to resolve
    job.refresh_from_db()
    assert job.incident_event_id is not None
    digest_until_empty()
    sweep(now=T0 + timedelta(minutes=31))
    job.refresh_from_db()
    assert job.incident_event_id is None
    issue = Issue.objects.get(project=job.project)
    assert issue.status == "resolved"
    assert issue.transitions.get(kind="recovered").details == {"outage_seconds": 30 * 60}


def test_a_muted_incident_stays_muted_when_it_recovers(job):
    run(job, "error", T0)
    run(job, "error", T0 + timedelta(minutes=10))
    digest_until_empty()
    Issue.objects.update(status="muted")
    run(job, "ok", T0 + timedelta(minutes=20))
    run(job, "ok", T0 + timedelta(minutes=30))
    assert Issue.objects.get().status == "muted"
    assert not IssueTransition.objects.filter(kind="recovered").exists()
    job.refresh_from_db()
    assert job.incident_event_id is None


def test_alert_rules_target_incidents_and_recoveries_and_a_recovery_says_how_long_it_lasted(job):
    rule = AlertRule.objects.create(
        project=job.project,
        name="Monitors",
        triggers=[AlertRule.Trigger.NEW_ISSUE, AlertRule.Trigger.RECOVERY],
        logger_glob="tracehound.monitors",
    )
    run(job, "error", T0)
    run(job, "error", T0 + timedelta(minutes=10))
    digest_until_empty()
    run(job, "ok", T0 + timedelta(hours=1, minutes=45))
    run(job, "ok", T0 + timedelta(hours=2, minutes=5))
    handle_transitions()
    alerts = {alert.trigger: alert for alert in Alert.objects.filter(rule=rule)}
    assert set(alerts) == {"new_issue", "recovery"}
    assert alerts["recovery"].details["outage_seconds"] == 2 * 3600 + 5 * 60
    assert headline(alerts["recovery"]) == "Recovered after 2 h 5 min"
    # The project's default rule (new issues and regressions) alerts on the incident too, not on its recovery.
    default = Alert.objects.exclude(rule=rule)
    assert list(default.values_list("trigger", flat=True)) == ["new_issue"]


def test_the_issue_page_says_how_long_the_outage_lasted_and_rules_name_the_trigger(job, client, member_for_pages):
    run(job, "error", T0)
    run(job, "error", T0 + timedelta(minutes=10))
    digest_until_empty()
    run(job, "ok", T0 + timedelta(minutes=50))
    run(job, "ok", T0 + timedelta(hours=1, minutes=5))
    issue = Issue.objects.get()
    client.force_login(member_for_pages)
    page = client.get(f"/issues/{issue.id}/").content.decode()
    assert "recovered" in page and "after an outage of 1 h 5 min" in page
    AlertRule.objects.create(project=job.project, name="Recoveries", triggers=[AlertRule.Trigger.RECOVERY])
    alerts = client.get(f"/projects/{job.project_id}/alerts/").content.decode()
    assert "a monitor&#x27;s recovery" in alerts
