"""Server time of the issue list and the issue page with 1M events and 10k issues in PostgreSQL.

    createdb -h 127.0.0.1 -U postgres th_ui_bench
    DATABASE_URL=postgres://postgres@127.0.0.1/th_ui_bench SECRET_KEY=bench .venv/bin/python bench/ui_pages.py seed
    DATABASE_URL=postgres://postgres@127.0.0.1/th_ui_bench SECRET_KEY=bench .venv/bin/python bench/ui_pages.py measure

`seed` migrates and fills the database in SQL (INSERT ... SELECT over generate_series, no ORM per row): 10,000
issues, 1,000,000 events spread over 30 days with a skewed issue distribution (a few issues hold most events, as
in real projects), the hourly rollup, tag facets (environment, release, server) and one grouping per issue, all
derived from the events as digest would have kept them. `measure` renders each page many times in-process through
Django's test client (the whole Django stack: middleware, session, queries, templates; no network) and prints the
median and 95th percentile per page.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from frontend.listing import ListParams, issue_page  # noqa: E402
from issues.models import Event, Issue  # noqa: E402
from projects.models import Project  # noqa: E402
from projects.services import add_member, create_project, ensure_default_team  # noqa: E402

ISSUES = 10_000
EVENTS = 1_000_000
RUNS = int(os.environ.get("RUNS", 30))


def sample_payload() -> bytes:
    """One realistic stored event (about the size digest keeps for a Django error with locals and breadcrumbs)."""
    from tests.frontend.factories import event_data

    return Event.compress(event_data())


def seed() -> None:
    if connection.vendor != "postgresql":
        sys.exit("seed needs DATABASE_URL pointing at PostgreSQL")
    call_command("migrate", verbosity=0)
    if Project.objects.filter(slug="bench").exists():
        sys.exit("already seeded (drop and create the database to seed again)")
    started = time.monotonic()
    team = ensure_default_team("Bench")
    project, _ = create_project(team, "Bench")
    user = get_user_model().objects.create_user("bench", password="bench-pass-word")
    add_member(team, user)
    payload = sample_payload()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO issues_issue (project_id, short_id, title, culprit, level, platform, metadata,
                first_seen, last_seen, times_seen, users_seen, users_sketch, first_release, last_release, status,
                resolved_in_release)
            SELECT %s, g, 'Error' || g || ': something failed in handler ' || (g %% 97),
                'app.module' || (g %% 50) || ' in function_' || (g %% 13),
                (ARRAY['error','error','error','warning','fatal','info'])[1 + g %% 6], 'python',
                jsonb_build_object('type', 'Error' || g, 'value', 'something failed ' || g),
                now(), now(), 0, 0, decode(repeat('00', 1024), 'hex'), '', '',
                CASE WHEN g %% 5 = 0 THEN 'resolved' ELSE 'unresolved' END, ''
            FROM generate_series(1, %s) AS g
            """,
            [project.pk, ISSUES],
        )
        cursor.execute("SELECT min(id) FROM issues_issue WHERE project_id = %s", [project.pk])
        first_issue = cursor.fetchone()[0]
        # power(random(), 3) skews events towards the first issues: a few issues hold most of the events.
        cursor.execute(
            """
            INSERT INTO issues_event (project_id, issue_id, event_id, timestamp, received_at, level, release,
                environment, user_key, payload)
            SELECT %s, %s + floor(power(random(), 3) * %s)::int, md5(g::text)::uuid, t, t, 'error',
                '1.' || (g %% 20), (ARRAY['production','staging'])[1 + g %% 2], 'user' || (g %% 5000), %s
            FROM (SELECT g, now() - (random() * interval '30 days') AS t FROM generate_series(1, %s) AS g) AS s
            """,
            [project.pk, first_issue, ISSUES, payload, EVENTS],
        )
        cursor.execute(
            """
            INSERT INTO issues_issuehourlycount (project_id, issue_id, hour, count)
            SELECT project_id, issue_id, date_trunc('hour', timestamp), count(*)
            FROM issues_event WHERE project_id = %s GROUP BY project_id, issue_id, date_trunc('hour', timestamp)
            """,
            [project.pk],
        )
        cursor.execute(
            """
            UPDATE issues_issue AS i SET times_seen = e.n, users_seen = e.users, first_seen = e.first,
                last_seen = e.last, first_release = e.first_release, last_release = e.last_release
            FROM (SELECT issue_id, count(*) AS n, count(DISTINCT user_key) AS users, min(timestamp) AS first,
                         max(timestamp) AS last, min(release) AS first_release, max(release) AS last_release
                  FROM issues_event WHERE project_id = %s GROUP BY issue_id) AS e
            WHERE i.id = e.issue_id
            """,
            [project.pk],
        )
        for key, column in (("environment", "environment"), ("release", "release"), ("server", "'web-' || (id %% 4)")):
            cursor.execute(
                f"""
                INSERT INTO issues_issuetag (issue_id, key, value, times_seen, first_seen, last_seen)
                SELECT issue_id, %s, {column}, count(*), min(timestamp), max(timestamp)
                FROM issues_event WHERE project_id = %s GROUP BY issue_id, {column}
                """,
                [key, project.pk],
            )
        cursor.execute(
            """
            INSERT INTO issues_grouping (project_id, issue_id, grouping_version, key_hash, key_text, created_at)
            SELECT project_id, id, 'bench', md5(id::text), 'type: ' || title, first_seen
            FROM issues_issue WHERE project_id = %s
            """,
            [project.pk],
        )
    with connection.cursor() as cursor:
        # What autovacuum would do soon after: without the visibility map, index-only scans visit the heap.
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded {ISSUES:,} issues and {EVENTS:,} events in {time.monotonic() - started:.0f} s")


def timed(client: Client, url: str) -> tuple[list[float], list[float], int]:
    """Wall-clock and this process's CPU milliseconds per request, and the number of queries one request makes.

    On a shared machine the wall clock includes waiting for a core; the CPU time of the Django process does not
    (the database's own time is in the wall figure only)."""
    client.get(url)  # warm: first-use costs (template compilation, connection) are not what is measured
    wall, cpu = [], []
    for _ in range(RUNS):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return wall, cpu, len(queries)


@override_settings(
    ALLOWED_HOSTS=["testserver"],
    STORAGES={
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
)
def measure() -> None:
    project = Project.objects.get(slug="bench")
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    busiest = Issue.objects.filter(project=project).order_by("-times_seen").first()
    quiet = Issue.objects.filter(project=project, times_seen__gt=0).order_by("times_seen").first()
    oldest_of_busiest = Event.objects.filter(issue=busiest).order_by("timestamp", "id").first()
    base = f"/projects/{project.pk}/issues/"
    first_page = issue_page([project.pk], ListParams())
    pages = {
        "list: default (unresolved, last seen)": base,
        "list: all statuses, by events": f"{base}?q=&sort=times_seen",
        "list: by users": f"{base}?sort=users",
        "list: second page (keyset)": f"{base}?cursor={first_page.next_cursor}",
        "list: level:error environment:production": f"{base}?q=is:unresolved+level:error+environment:production",
        "list: release:1.7 (tag facet)": f"{base}?q=release:1.7",
        "list: free text 'handler 42' (every title has 'handler')": f"{base}?q=handler+42",
        "list: free text 'Error4242' (one issue)": f"{base}?q=Error4242",
        "list: is:resolved": f"{base}?q=is:resolved",
        "list: all projects": "/issues/",
        f"issue page: busiest issue ({busiest.times_seen:,} events)": f"/issues/{busiest.pk}/",
        "issue page: busiest issue, its oldest event": f"/issues/{busiest.pk}/events/{oldest_of_busiest.pk}/",
        f"issue page: quiet issue ({quiet.times_seen} events)": f"/issues/{quiet.pk}/",
    }
    print(f"{Event.objects.filter(project=project).count():,} events, {Issue.objects.count():,} issues")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'page':60} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8}")
    for name, url in pages.items():
        wall, cpu, queries = timed(client, url)
        p95 = sorted(wall)[int(len(wall) * 0.95) - 1]
        print(f"{name:60} {statistics.median(wall):10.1f} {p95:8.1f} {statistics.median(cpu):8.1f} {queries:8}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    {"seed": seed, "measure": measure}[sys.argv[1] if len(sys.argv) > 1 else "measure"]()
