import secrets
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from issues import retention
from issues.models import Event, Grouping, Issue, IssueHourlyCount, IssueTag, IssueTransition, ProjectStorage
from projects.services import create_project, ensure_default_team
from tests.frontend.factories import add_hourly, add_tag, make_event, make_grouping, make_issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_batches(settings):
    # Several batches per table, so the loop and its ends are what is tested.
    settings.TRACEHOUND = {**settings.TRACEHOUND, "RETENTION_BATCH": 2, "EVENT_RETENTION_DAYS": 90}


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)


def test_old_events_go_and_issues_keep_their_counters_until_their_last_event_is_old(project):
    living = make_issue(project, title="living", first_seen=days_ago(200), last_seen=days_ago(1), times_seen=7)
    old_events = [make_event(living, received_at=days_ago(100 + n)) for n in range(5)]
    recent = make_event(living, received_at=days_ago(1))
    add_tag(living, "browser", "Firefox")
    expired = make_issue(project, title="expired", first_seen=days_ago(300), last_seen=days_ago(91))
    make_event(expired, received_at=days_ago(91))
    make_grouping(expired)
    add_tag(expired, "browser", "Firefox")
    IssueTransition.objects.create(project=project, issue=expired, kind="new")
    add_hourly(living, hours_ago=24 * 400, count=3)
    kept_count = add_hourly(living, hours_ago=24 * 100, count=4)

    deleted = retention.sweep()

    assert (deleted.events, deleted.issues, deleted.hourly_counts) == (6, 1, 1)
    assert list(Event.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not Event.objects.filter(pk__in=[event.pk for event in old_events]).exists()
    living.refresh_from_db()
    assert living.times_seen == 7 and IssueTag.objects.filter(issue=living).exists()
    assert list(IssueHourlyCount.objects.values_list("pk", flat=True)) == [kept_count.pk]
    assert not Issue.objects.filter(pk=expired.pk).exists()
    assert not Grouping.objects.filter(issue_id=expired.pk).exists()
    assert not IssueTransition.objects.filter(issue_id=expired.pk).exists()
    # The storage the settings page and `status` show, measured by the same sweep.
    storage = ProjectStorage.objects.get(project=project)
    assert storage.events == 1 and storage.bytes == len(bytes(recent.payload))
    assert retention.sweep() == retention.Deleted()  # nothing left to do


def test_a_second_sweep_while_one_runs_does_nothing(project):
    make_event(make_issue(project), received_at=days_ago(100))
    cache.add(retention.RUNNING_FLAG, 1, 60)
    try:
        assert retention.sweep() is None
        assert Event.objects.count() == 1
    finally:
        cache.delete(retention.RUNNING_FLAG)
    assert retention.sweep().events == 1


@pytest.mark.django_db(transaction=True)  # as the sweep runs: outside any transaction
def test_freed_space_is_given_back_on_sqlite_and_left_to_autovacuum_on_postgresql(project):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            make_event(make_issue(project), received_at=days_ago(100))
            retention.sweep()
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = %s", [Event._meta.db_table])
            assert cursor.fetchone()[0] is not None  # vacuumed by the sweep, whatever autovacuum's settings
            return
        cursor.execute("PRAGMA auto_vacuum")
        assert cursor.fetchone()[0] == 2  # incremental, set by migration 0014
        issue = make_issue(project)
        for _ in range(50):
            make_event(issue, data={"padding": secrets.token_hex(10_000)}, received_at=days_ago(100))
        cursor.execute("PRAGMA page_count")
        pages_before = cursor.fetchone()[0]
        retention.sweep()
        cursor.execute("PRAGMA page_count")
        # The deleted events' pages (about 10 KB each, compressed) went back to the file system.
        assert cursor.fetchone()[0] < pages_before - 50


def test_purge_counts_with_a_dry_run_then_deletes_one_projects_old_data(project, capsys):
    foreign_project, _ = create_project(ensure_default_team("Other team"), "Elsewhere")
    old = make_issue(project, title="old", last_seen=days_ago(40))
    for _ in range(3):
        make_event(old, received_at=days_ago(40))
    current = make_issue(project, title="current", last_seen=days_ago(1))
    make_event(current, received_at=days_ago(40))
    kept = make_event(current, received_at=days_ago(1))
    other = make_event(make_issue(foreign_project, last_seen=days_ago(40)), received_at=days_ago(40))
    before = days_ago(30).strftime("%Y-%m-%d")

    call_command("purge", "--project", project.slug, "--before", before, "--dry-run")
    assert "would delete 4 events received and 1 issues last seen before" in capsys.readouterr().out
    assert Event.objects.count() == 6

    call_command("purge", "--project", str(project.pk), "--before", before)
    assert "deleted 4 events received and 1 issues" in capsys.readouterr().out
    assert set(Event.objects.values_list("pk", flat=True)) == {kept.pk, other.pk}
    assert set(Issue.objects.filter(project=project).values_list("title", flat=True)) == {"current"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--project", "nope", "--before", "2026-01-01"], "no such project: nope"),
        (["--project", "1", "--before", "last tuesday"], "not a date: 'last tuesday'"),
    ],
)
def test_purge_refuses_bad_input_with_a_reason(project, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("purge", *arguments)
