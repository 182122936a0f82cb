"""The Django integration, in a real (minimal) Django project run in a subprocess so its settings do
not mix with the server's: LOGGING handler, middleware, system check and the tracehound_test command."""

import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SETTINGS = "tests.sdk.djangoproject.settings"


def run(args, dsn="", pii=False, timeout=60, middleware=True):
    env = dict(os.environ)
    env.pop("TRACEHOUND_DSN", None)
    env.update(DJANGO_SETTINGS_MODULE=SETTINGS, SDK_TEST_DSN=dsn, SDK_TEST_PII="1" if pii else "0", PYTHONPATH=ROOT)
    env["SDK_TEST_NO_MIDDLEWARE"] = "0" if middleware else "1"
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_unhandled_view_exception_is_reported_once_with_request_and_user(server):
    proc = run(["tests/sdk/djangoproject/drive.py", "/crash/?page=2&token=abc"], dsn=server.dsn, pii=True)
    assert proc.returncode == 0, proc.stderr
    assert "/crash/?page=2&token=abc 500" in proc.stdout
    events = server.events()
    # the middleware's capture and django.request's log record are one event
    assert len(events) == 1, [e.get("logentry") for e in events]
    event = events[0]
    (value,) = event["exception"]["values"]
    assert value["type"] == "ZeroDivisionError"
    assert value["mechanism"] == {"type": "django", "handled": False}
    crash = value["stacktrace"]["frames"][-1]
    assert crash["function"] == "crash" and crash["module"] == "tests.sdk.djangoproject.urls"
    assert crash["in_app"] is True
    assert crash["vars"]["basket"] == {"items": 3, "voucher_token": "[Filtered]"}
    assert "raise ZeroDivisionError" in crash["context_line"]
    assert any(not f["in_app"] and f["module"].startswith("django.") for f in value["stacktrace"]["frames"])
    request = event["request"]
    assert request["method"] == "GET"
    assert request["url"] == "http://testserver/crash/"
    assert request["query_string"] == "page=2&token=[Filtered]"
    assert request["headers"]["Authorization"] == "[Filtered]"
    assert request["headers"]["X-Request-Id"] == "req-1"
    assert request["headers"]["Cookie"] == "[Filtered]"
    assert event["user"]["username"] == "ada" and event["user"]["email"] == "ada@example.org"
    assert event["release"] == "djangoproject@1"
    assert event["breadcrumbs"]["values"][-1]["message"] == "opening basket for ada"


def test_without_the_middleware_django_request_records_still_carry_the_request(server):
    proc = run(["tests/sdk/djangoproject/drive.py", "/crash/?page=2"], dsn=server.dsn, pii=True, middleware=False)
    assert proc.returncode == 0, proc.stderr
    (event,) = server.events()
    assert event["logger"] == "django.request"
    assert event["logentry"]["formatted"] == "Internal Server Error: /crash/"
    assert event["exception"]["values"][-1]["mechanism"] == {"type": "logging", "handled": True}
    assert event["request"]["url"] == "http://testserver/crash/"
    assert event["request"]["query_string"] == "page=2"
    assert event["user"]["username"] == "ada"
    assert "request" not in event.get("extra", {})


def test_without_pii_no_user_and_no_cookie(server):
    proc = run(["tests/sdk/djangoproject/drive.py", "/crash/"], dsn=server.dsn, pii=False)
    assert proc.returncode == 0, proc.stderr
    (event,) = server.events()
    assert "user" not in event
    assert "Cookie" not in event["request"]["headers"]
    assert "REMOTE_ADDR" not in event["request"]["env"]


def test_logged_error_during_a_request_carries_the_request(server):
    proc = run(["tests/sdk/djangoproject/drive.py", "/logged/", "/logged/"], dsn=server.dsn, pii=True)
    assert proc.returncode == 0, proc.stderr
    events = server.events()
    assert len(events) == 2
    for event in events:
        assert event["logentry"] == {
            "message": "could not price basket %s",
            "params": [17],
            "formatted": "could not price basket 17",
        }
        assert event["request"]["url"] == "http://testserver/logged/"
        assert event["user"]["username"] == "ada"
        # breadcrumbs are per request: the second request does not carry the first one's
        assert [c["message"] for c in event["breadcrumbs"]["values"]] == ["slow basket for ada"]


def test_reporting_never_loads_the_user(server):
    proc = run(["tests/sdk/djangoproject/drive.py", "/user-never-loaded/"], dsn=server.dsn, pii=True)
    assert proc.returncode == 0, proc.stderr
    (event,) = server.events()
    assert event["logentry"]["message"] == "failed before anyone looked at the user"
    assert event["request"]["url"] == "http://testserver/user-never-loaded/"
    assert "user" not in event


def test_async_view_under_asgi_is_reported_with_request_and_user(server):
    proc = run(["tests/sdk/djangoproject/drive.py", "async:/async-crash/?x=1"], dsn=server.dsn, pii=True)
    assert proc.returncode == 0, proc.stderr
    assert "/async-crash/?x=1 500" in proc.stdout
    (event,) = server.events()
    value = event["exception"]["values"][-1]
    assert value["type"] == "LookupError" and value["mechanism"]["type"] == "django"
    assert value["stacktrace"]["frames"][-1]["function"] == "async_crash"
    assert event["request"]["url"] == "http://testserver/async-crash/"
    assert event["request"]["headers"]["Authorization"] == "[Filtered]"
    assert event["user"]["username"] == "ada"
    assert [c["message"] for c in event["breadcrumbs"]["values"]] == ["async basket for ada"]


def test_system_check_reports_an_invalid_dsn():
    proc = run(["-m", "django", "check"], dsn="https://key@example.com/not-a-project")
    assert proc.returncode != 0
    assert "tracehound.E001" in proc.stderr
    assert "LOGGING handler 'tracehound'" in proc.stderr


def test_system_check_passes_with_a_valid_dsn(server):
    proc = run(["-m", "django", "check"], dsn=server.dsn)
    assert proc.returncode == 0, proc.stderr
    assert "no issues" in proc.stdout


def test_tracehound_test_command_reports_acceptance(server):
    proc = run(["-m", "django", "tracehound_test"], dsn=server.dsn)
    assert proc.returncode == 0, proc.stderr
    (event,) = server.events()
    expected = f"Event {event['event_id']} accepted by http://127.0.0.1:{server.port}/api/42/envelope/"
    assert expected in proc.stdout
    assert event["exception"]["values"][0]["type"] == "TracehoundTestError"


def test_tracehound_test_command_reports_refusal(server):
    server.respond(401)
    proc = run(["-m", "django", "tracehound_test"], dsn=server.dsn)
    assert proc.returncode == 1
    assert "refused the test event: HTTP 401" in proc.stderr


def test_tracehound_test_command_reports_unreachable_server():
    from .fakeserver import refused_port

    proc = run(["-m", "django", "tracehound_test", "--dsn", f"http://k@127.0.0.1:{refused_port()}/1"])
    assert proc.returncode == 1
    assert "Could not reach" in proc.stderr and "ConnectionRefusedError" in proc.stderr


def test_tracehound_test_command_without_dsn():
    proc = run(["-m", "django", "tracehound_test"], dsn="")
    assert proc.returncode == 1
    assert "No valid Tracehound DSN" in proc.stderr
