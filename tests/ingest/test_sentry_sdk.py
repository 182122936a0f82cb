"""End to end: a real server process and the real, unmodified sentry-sdk, with and without brotli."""

import json
import subprocess
import sys
import time

import orjson

from issues.models import Event, InboxItem
from projects.models import IngestOutcome
from projects.services import create_project

SEND = """
import json, sys
if sys.argv[2] == "without-brotli":
    sys.modules["brotli"] = None  # makes `import brotli` fail, as on a machine without it
import sentry_sdk
from sentry_sdk.crons import capture_checkin

sentry_sdk.init(dsn=sys.argv[1], release="app@1.0", environment="test")
try:
    {}["missing"]
except KeyError:
    sentry_sdk.capture_exception()
sentry_sdk.capture_message("hello from " + sys.argv[2])
capture_checkin(monitor_slug="nightly", status="ok")
sentry_sdk.flush(timeout=10)
print(json.dumps({"compression": sentry_sdk.get_client().transport._compression_algo}))
"""


def run_sdk(script: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def stored_events(project_id: int) -> dict[str, dict]:
    """Events by id, whether still in the inbox or already digested by the server."""
    events = {
        item.event_id.hex: orjson.loads(InboxItem.unpack(item.payload))
        for item in InboxItem.objects.filter(project_id=project_id, item_type="event")
    }
    events.update({event.event_id.hex: event.data for event in Event.objects.filter(project_id=project_id)})
    return events


def outcome_counts(project_id: int, expected: dict, timeout: float = 5.0, total: int = 0) -> dict:
    """The project's outcome counts once each `expected` outcome has its count and they add up to `total`."""
    # Counts reach the table about once a second, from each server process apart.
    deadline = time.monotonic() + timeout
    while True:
        counts = dict(IngestOutcome.objects.filter(project_id=project_id).values_list("outcome", "count"))
        if (
            all(counts.get(name, 0) >= n for name, n in expected.items())
            and sum(counts.get(name, 0) for name in expected) >= total
        ) or time.monotonic() > deadline:
            return counts
        time.sleep(0.2)


def test_the_real_sentry_sdk_reports_and_obeys_rate_limits(tracehound_server, team):
    # One server for both stories: starting and stopping one costs seconds.
    reports_with_and_without_brotli(tracehound_server, team)
    stops_sending_until_retry_after_passes(tracehound_server, team)


def reports_with_and_without_brotli(tracehound_server, team):
    for variant, compression in (("with-brotli", "br"), ("without-brotli", "gzip")):
        project, key = create_project(team, variant)
        assert run_sdk(SEND, tracehound_server.dsn(key), variant) == {"compression": compression}
        events = stored_events(project.id)
        messages = sorted(
            str(event.get("message") or event.get("logentry", {}).get("message") or "") for event in events.values()
        )
        assert len(events) == 2, events
        assert f"hello from {variant}" in messages
        [error] = [event for event in events.values() if (event.get("exception") or {}).get("values")]
        assert error["exception"]["values"][-1]["type"] == "KeyError"
        counts = outcome_counts(project.id, {"accepted": 2, "check_in": 1})
        assert counts["accepted"] == 2 and counts["check_in"] == 1
        assert not {"invalid", "too_large", "rate_limited", "unavailable"} & set(counts), counts  # nothing refused
    log = tracehound_server.log()
    assert " ingest." not in log  # no warning or error from the ingest modules


RATE_LIMITED = """
import json, sys
from datetime import datetime, timedelta
import sentry_sdk
import sentry_sdk.transport

# The SDK's own clock, moved forward on demand, so the test need not wait out a real Retry-After.
offset = timedelta(0)
class Clock(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime.now(tz) + offset
sentry_sdk.transport.datetime = Clock

sentry_sdk.init(dsn=sys.argv[1], send_client_reports=False, auto_session_tracking=False)
def send(text):
    sentry_sdk.capture_message(text)
    sentry_sdk.flush(timeout=10)
send("accepted")
send("refused with 429")
for n in range(3):
    send("dropped by the sdk")
offset = timedelta(seconds=3601)  # past any Retry-After this server can give
send("after the wait")
print(json.dumps({}))
"""


def stops_sending_until_retry_after_passes(tracehound_server, team):
    project, key = create_project(team, "Limited")
    project.events_per_minute = 1
    project.save()
    run_sdk(RATE_LIMITED, tracehound_server.dsn(key))
    # The last event's outcome may reach the table a second after the others: wait for all three.
    counts = outcome_counts(project.id, {"accepted": 1, "rate_limited": 1}, total=3)
    # Six messages captured; the server saw three: the accepted one, the refused one, and the one sent after the
    # Retry-After time had passed (itself accepted or refused, depending on whether the minute rolled over).
    assert counts.get("accepted", 0) + counts.get("rate_limited", 0) == 3, counts
    assert counts["rate_limited"] >= 1 and counts["accepted"] >= 1
    assert len(stored_events(project.id)) == counts["accepted"]
