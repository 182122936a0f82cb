"""The SDK in a real Django project reports through LOGGING to a real Tracehound server, and the stored
event keeps the frames, locals, request and user."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

from issues.models import Event, Issue

from ..waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def run_django_project(dsn: str, *urls: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRACEHOUND")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.sdk.djangoproject.settings",
        SDK_TEST_DSN=dsn,
        SDK_TEST_PII="1",
        PYTHONPATH=str(ROOT),
    )
    return subprocess.run(
        [sys.executable, "tests/sdk/djangoproject/drive.py", *urls],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sdk_in_a_django_project_reports_to_a_real_server(tracehound_server, project, project_key):
    proc = run_django_project(tracehound_server.dsn(project_key), "/crash/?page=2&token=abc", "/logged/")
    assert proc.returncode == 0, proc.stderr
    assert "tracehound sent=2 dropped={} last_status=200" in proc.stdout, proc.stdout

    def stored_events():
        events = list(Event.objects.filter(project=project))
        return events if len(events) >= 2 else None

    events = wait_for(stored_events, 10)
    assert events, f"the server stored no events:\n{tracehound_server.log()}"
    crash = next(e.data for e in events if (e.data.get("exception") or {}).get("values"))
    logged = next(e.data for e in events if not (e.data.get("exception") or {}).get("values"))

    # frames with module, function, in_app, context lines and locals (secret-looking ones scrubbed)
    value = crash["exception"]["values"][-1]
    assert value["type"] == "ZeroDivisionError"
    frame = value["stacktrace"]["frames"][-1]
    assert frame["function"] == "crash"
    assert frame["module"] == "tests.sdk.djangoproject.urls"
    assert frame["in_app"] is True
    assert "raise ZeroDivisionError" in frame["context_line"]
    assert frame["vars"]["basket"]["items"] == 3
    assert frame["vars"]["basket"]["voucher_token"] == "[Filtered]"
    assert any(f["module"].startswith("django.") and not f["in_app"] for f in value["stacktrace"]["frames"])

    # request and user
    assert crash["request"]["method"] == "GET"
    assert crash["request"]["url"] == "http://testserver/crash/"
    assert unquote(crash["request"]["query_string"]) == "page=2&token=[Filtered]"
    assert crash["request"]["headers"]["Authorization"] == "[Filtered]"
    assert crash["user"]["username"] == "ada"
    assert crash["user"]["email"] == "ada@example.org"
    assert crash["release"] == "djangoproject@1"

    # the logged error: template and params apart, and the request of the request it was logged in
    assert logged["logentry"]["message"] == "could not price basket %s"
    assert logged["logentry"]["params"] == [17]
    assert logged["request"]["url"] == "http://testserver/logged/"
    assert logged["user"]["username"] == "ada"

    titles = set(Issue.objects.filter(project=project).values_list("title", flat=True))
    assert len(titles) == 2
