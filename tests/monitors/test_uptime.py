"""Uptime checks against real local HTTP and HTTPS servers: statuses, keywords, redirects, timeouts, certificates
(made in the test: valid, expiring in 5 days, expired, for another name, from an unknown authority), where a check
may connect, and K/R incidents."""

import ssl
import time
from datetime import UTC, datetime, timedelta

import pytest
import trustme

from issues.digest import digest_until_empty
from issues.models import Issue
from monitors.http_check import fetch
from monitors.models import UptimeCheck, UptimeResult
from monitors.tasks import run_uptime_checks
from monitors.uptime import Runner, claim_due, judge, parse_statuses, record_result, run_check
from tests.monitors.servers import Site

LOCAL = ["127.0.0.1/32", "::1/128"]


@pytest.fixture
def local_allowed(settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "MONITOR_ALLOWED_NETWORKS": LOCAL}


@pytest.fixture
def site():
    server = Site()
    yield server
    server.close()


@pytest.fixture
def authority(tmp_path, monkeypatch):
    """A certificate authority of the test's own, trusted through SSL_CERT_FILE (read by the default context)."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    return ca


def tls_site(ca: trustme.CA, name: str = "localhost", **validity) -> Site:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name, **validity).configure_cert(context)
    return Site(tls=context)


def make_check(project, url, **fields) -> UptimeCheck:
    return UptimeCheck.objects.create(project=project, name="Shop health", url=url, **fields)


def outcome_of(check: UptimeCheck):
    outcome = run_check(check)
    return outcome, judge(check, outcome, datetime.now(UTC))


def test_status_keyword_and_response_time(project, site, local_allowed):
    ok = make_check(project, site.url("/health"), keyword="status: ok", keyword_mode="present")
    outcome, (passed, reason, _) = outcome_of(ok)
    assert (outcome.status, passed, reason) == (200, True, "")
    assert outcome.response_ms is not None and outcome.response_ms > 0

    degraded = make_check(project, site.url("/degraded"), keyword="status: ok", keyword_mode="present")
    assert outcome_of(degraded)[1] == (False, "keyword 'status: ok' missing", None)
    absent = make_check(project, site.url("/degraded"), keyword="degraded", keyword_mode="absent")
    assert outcome_of(absent)[1] == (False, "keyword 'degraded' present", None)
    fine = make_check(project, site.url("/health"), keyword="degraded", keyword_mode="absent")
    assert outcome_of(fine)[1][0] is True

    error = make_check(project, site.url("/500"))
    assert outcome_of(error)[1] == (False, "answered 500, expected 200-299", None)
    expected_500 = make_check(project, site.url("/500"), expected_statuses="200,500-503")
    assert outcome_of(expected_500)[1][0] is True


def test_methods_headers_and_body_are_sent(project, site, local_allowed):
    check = make_check(
        project, site.url("/echo"), method="POST", request_headers={"X-Check": "yes"}, request_body='{"ping": 1}'
    )
    outcome, (passed, _, _) = outcome_of(check)
    assert passed and outcome.body == b'POST yes {"ping": 1}'
    head = make_check(project, site.url("/health"), method="HEAD", keyword="status: ok", keyword_mode="present")
    outcome, (passed, _, _) = outcome_of(head)
    assert passed and outcome.body == b""  # HEAD has no body: the keyword is not looked for
    assert [request[0] for request in site.requests] == ["POST", "HEAD"]


def test_redirects_are_followed_or_not_as_asked(project, site, local_allowed):
    followed = make_check(project, site.url("/redirect"), keyword="status: ok", keyword_mode="present")
    assert outcome_of(followed)[1][0] is True
    not_followed = make_check(project, site.url("/redirect"), follow_redirects=False)
    assert outcome_of(not_followed)[1] == (False, "answered 302, expected 200-299", None)
    assert outcome_of(make_check(project, site.url("/redirect"), follow_redirects=False, expected_statuses="302"))[1][0]
    assert outcome_of(make_check(project, site.url("/loop")))[1] == (False, "more than 5 redirects", None)


def test_a_server_that_hangs_fails_after_the_timeout(project, site, local_allowed):
    check = make_check(project, site.url("/hang"), timeout_seconds=1)
    outcome, (passed, reason, _) = outcome_of(check)
    assert not passed and reason == "no answer from 127.0.0.1 within 1 s"


def test_a_closed_port_fails_with_the_reason(project, local_allowed):
    check = make_check(project, "http://127.0.0.1:9/")
    assert outcome_of(check)[1][1] == "could not connect to 127.0.0.1:9: connection refused"


def test_loopback_and_private_addresses_only_when_allowed(project, site):
    check = make_check(project, site.url("/health"))
    assert outcome_of(check)[1][1] == (
        "refused: 127.0.0.1 is a loopback address; allow it with TRACEHOUND_MONITOR_ALLOWED_NETWORKS"
    )
    assert site.requests == []
    assert "a private address" in outcome_of(make_check(project, "http://10.1.2.3/"))[1][1]


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/"])
def test_link_local_and_cloud_metadata_are_refused_whatever_is_allowed(project, settings, url):
    everything = ["0.0.0.0/0", "::/0"]
    settings.TRACEHOUND = {**settings.TRACEHOUND, "MONITOR_ALLOWED_NETWORKS": everything}
    reason = outcome_of(make_check(project, url))[1][1]
    assert reason.endswith("a link-local or cloud metadata address, which is never allowed")


def test_tls_certificates_days_to_expiry_and_failures(project, authority, local_allowed):
    now = datetime.now(UTC)
    valid = tls_site(authority, not_before=now - timedelta(days=1), not_after=now + timedelta(days=90, hours=1))
    expiring = tls_site(authority, not_before=now - timedelta(days=1), not_after=now + timedelta(days=5, hours=1))
    expired = tls_site(authority, not_before=now - timedelta(days=30), not_after=now - timedelta(days=1))
    other_name = tls_site(authority, "shop.example.org")
    unknown = tls_site(trustme.CA())
    try:
        outcome, (passed, reason, days) = outcome_of(make_check(project, valid.url("/health", host="localhost")))
        assert (passed, reason, days) == (True, "", 90)
        assert outcome_of(make_check(project, expiring.url("/health", host="localhost")))[1] == (
            False,
            "certificate expires in 5 days",
            5,
        )
        # Warned N days before: with N = 3, five days left is fine.
        soon = make_check(project, expiring.url("/health", host="localhost"), certificate_expiry_days=3)
        assert outcome_of(soon)[1][0] is True
        for server, why in (
            (expired, "certificate has expired"),
            (other_name, "Hostname mismatch"),
            (unknown, "unable to get local issuer certificate"),
        ):
            passed, reason, _ = outcome_of(make_check(project, server.url("/health", host="localhost")))[1]
            assert not passed and reason.startswith("the TLS certificate of localhost was not accepted: ")
            assert why in reason
    finally:
        for server in (valid, expiring, expired, other_name, unknown):
            server.close()


def test_bad_settings_get_a_reason():
    assert parse_statuses("200-299, 301") == [(200, 299), (301, 301)]
    for text, reason in (("2xx", "expected status codes"), ("299-200", "runs backwards"), ("", "expected status")):
        with pytest.raises(ValueError, match=reason):
            parse_statuses(text)


def test_due_checks_are_claimed_once_and_run_on_a_bounded_pool(project, site, local_allowed):
    now = datetime.now(UTC)
    checks = [make_check(project, site.url("/health"), interval_seconds=60, next_check_at=now) for _ in range(6)]
    make_check(project, site.url("/health"), next_check_at=now + timedelta(minutes=5))  # not due
    runner = Runner(concurrency=4)
    assert runner.tick() == 4  # of the 6 due, as many as the pool has room for
    runner.drain(10)
    assert runner.tick() == 2
    runner.drain(10)
    assert UptimeResult.objects.filter(ok=True).count() == 6
    assert claim_due(100) == []  # each is next due one interval later
    for check in checks:
        check.refresh_from_db()
        assert check.state == "up" and check.next_check_at > now + timedelta(seconds=59)
    runner.pool.shutdown()


def test_k_failures_open_an_incident_titled_by_what_failed_and_r_successes_resolve_it(project, site, local_allowed):
    check = make_check(
        project, site.url("/degraded"), keyword="status: ok", keyword_mode="present", failure_threshold=2
    )
    first = fetch(check.url, "GET", {}, b"", 5, True)
    record_result(check.id, first)
    assert not Issue.objects.exists() and digest_until_empty().claimed == 0
    record_result(check.id, first)
    digest_until_empty()
    [issue] = Issue.objects.filter(project=project)
    assert issue.title == f"{site.url('/degraded')} keyword 'status: ok' missing" and issue.times_seen == 2
    healthy = fetch(site.url("/health"), "GET", {}, b"", 5, True)
    UptimeCheck.objects.filter(id=check.id).update(url=site.url("/health"))
    record_result(check.id, healthy)
    issue.refresh_from_db()
    assert issue.status == "resolved"
    assert issue.transitions.filter(kind="recovered").exists()


def test_the_production_task_runs_due_checks_and_ends_at_once_when_nothing_is_due(project, site, local_allowed):
    started = time.monotonic()
    run_uptime_checks()  # nothing at all: one query
    assert time.monotonic() - started < 1
    check = make_check(project, site.url("/health"), next_check_at=datetime.now(UTC))
    run_uptime_checks()
    assert UptimeResult.objects.get(uptime_check=check).ok
