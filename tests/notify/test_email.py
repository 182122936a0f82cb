"""The email transport against a real SMTP server (aiosmtpd on 127.0.0.1): headers, threading, both parts,
escaping, recipients, and what SMTP failures mean to the sender."""

import email
import email.policy
import socket

import pytest
from django.contrib.auth import get_user_model

from notify.models import AlertOptOut, Channel
from notify.transports.registry import transport_for
from projects.services import add_member, ensure_default_team
from tests.notify.builders import BASE, HOSTILE, INJECTION, channel, issue_summary, message, summary, timed

SUBJECT = "[shop-backend] New issue: ZeroDivisionError: division by zero"


def send(msg, hook=None):
    hook = hook or channel("email", to="addresses", addresses=["ops@example.com"])
    return transport_for("email").send(hook, msg)


def received(smtp_server, index=-1):
    envelope = smtp_server.envelopes[index]
    return envelope, email.message_from_bytes(envelope.content, policy=email.policy.default)


def header_lines(envelope) -> list[str]:
    head = envelope.content.split(b"\r\n\r\n", 1)[0].decode("ascii", errors="replace")
    return head.split("\r\n")


def test_an_alert_arrives_with_both_parts_and_its_thread_headers(smtp_server):
    msg = message()
    result = send(msg, channel("email", to="addresses", addresses=["ops@example.com", "dev@example.com"]))
    assert result.ok and result.detail == "sent to 2 recipients"
    # One message each: neither recipient sees the other's address.
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [["ops@example.com"], ["dev@example.com"]]
    assert b"dev@example.com" not in smtp_server.envelopes[0].content
    envelope, mail = received(smtp_server)
    assert envelope.mail_from == "alerts@tracehound.test"
    assert mail["To"] == "dev@example.com"
    assert mail["Subject"] == SUBJECT
    assert mail["Message-ID"] == f"<delivery-{msg.delivery_id}@localhost>"
    assert mail["References"] == "<issue-42@localhost>"
    assert mail["In-Reply-To"] == "<issue-42@localhost>"
    assert mail["Auto-Submitted"] == "auto-generated"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for part in (text, html):
        assert "ZeroDivisionError: division by zero" in part
        assert "shop.views.checkout" in part
        assert "production" in part and "shop@1.2.3" in part and "1,234" in part
    assert f"Open SHOP-BACKEND-42: {BASE}/issues/42/" in text
    assert f'<a href="{BASE}/issues/42/"' in html
    # Nothing loaded from elsewhere when the mail is opened.
    for resource in ("<img", "<link", "<script", "url(", "@import", "<iframe", "src="):
        assert resource not in html.lower()


def test_the_messages_of_one_issue_share_a_thread_and_each_has_its_own_id(smtp_server):
    send(message(headline="New issue"))
    send(message(headline="Regression"))
    send(message(issue=issue_summary(issue_id=43, short_id="SHOP-BACKEND-43")))
    (_, first), (_, second), (_, other) = (received(smtp_server, n) for n in range(3))
    assert first["References"] == second["References"] == "<issue-42@localhost>"
    assert second["In-Reply-To"] == "<issue-42@localhost>"
    assert first["Message-ID"] != second["Message-ID"]
    assert other["References"] == "<issue-43@localhost>"


def test_a_retried_message_keeps_its_message_id(smtp_server):
    msg = message()
    send(msg)
    send(msg)
    assert received(smtp_server, 0)[1]["Message-ID"] == received(smtp_server, 1)[1]["Message-ID"]


def test_the_thread_id_is_on_the_host_of_tracehound_url(smtp_server, settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "BASE_URL": "https://errors.example.com"}
    send(message())
    assert received(smtp_server)[1]["References"] == "<issue-42@errors.example.com>"


def test_hostile_text_never_reaches_a_header_and_is_escaped_in_html(smtp_server):
    hostile = issue_summary(title=INJECTION + " " + HOSTILE, culprit=HOSTILE, environment=HOSTILE)
    result = send(message(issue=hostile, project_name=HOSTILE))
    assert result.ok
    envelope, mail = received(smtp_server)
    assert envelope.rcpt_tos == ["ops@example.com"]
    assert mail["Bcc"] is None and mail["X-Injected"] is None
    lines = header_lines(envelope)
    assert not [line for line in lines if line.lower().startswith(("bcc:", "x-injected:"))]
    # (A long non-ASCII subject is folded into encoded words, which a parser reads back with a leading space.)
    subject = mail["Subject"].strip()
    assert subject.startswith("[shop-backend] New issue: ZeroDivisionError Bcc: x@evil.example X-Injected: yes")
    assert "\r" not in mail["Subject"] and "\n" not in mail["Subject"]
    html = mail.get_body(("html",)).get_content()
    assert "<script>" not in html and '<img src="https://evil' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=&quot;https://evil.example/pixel.png&quot;&gt;" in html


def test_a_summary_lists_the_issues_and_how_many_more(smtp_server):
    result = send(summary(60, total=75))
    assert result.ok
    _, mail = received(smtp_server)
    assert mail["Subject"] == "[shop-backend] 75 alerts in the last minute"
    assert mail["References"] is None  # about many issues: no issue's thread
    text = mail.get_body(("plain",)).get_content()
    assert "- SHOP-1 Error number 1 (1,234 events)" in text and "SHOP-51 " not in text
    assert "and 25 more" in text
    assert f"See them all: {BASE}/projects/shop-backend/issues/" in text
    assert "and 25 more" in mail.get_body(("html",)).get_content()


@pytest.fixture
def members(project):
    """Who of the project's teams gets its mail: alice and frank. bob turned the alerts off, carol's account is
    inactive, dave has no address, erin is in a team without this project."""
    users = get_user_model().objects
    made = {
        "alice": users.create_user("alice", "alice@example.com"),
        "bob": users.create_user("bob", "bob@example.com"),
        "carol": users.create_user("carol", "carol@example.com", is_active=False),
        "dave": users.create_user("dave", ""),
        "erin": users.create_user("erin", "erin@example.com"),
        "frank": users.create_user("frank", "frank@example.com"),
    }
    team = project.teams.get()
    for name in ("alice", "bob", "carol", "dave"):
        add_member(team, made[name])
    add_member(ensure_default_team("Elsewhere"), made["erin"])
    second = ensure_default_team("Payments")
    project.teams.add(second)
    add_member(second, made["frank"])
    add_member(second, made["alice"])  # in two of the project's teams: one message still
    AlertOptOut.objects.create(user=made["bob"], project=project)
    return made


def test_team_mail_goes_to_active_members_with_an_address_who_did_not_opt_out(smtp_server, project, members):
    hook = Channel.objects.create(project=project, name="Team", kind="email", config={"to": "team"})
    result = transport_for("email").send(hook, message())
    assert result.ok and result.detail == "sent to 2 recipients"
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [["alice@example.com"], ["frank@example.com"]]


def test_no_recipients_is_a_clear_failure_that_is_not_retried(smtp_server, project, members):
    AlertOptOut.objects.create(user=members["alice"], project=project)
    AlertOptOut.objects.create(user=members["frank"], project=project)
    hook = Channel.objects.create(project=project, name="Team", kind="email", config={"to": "team"})
    result = transport_for("email").send(hook, message())
    assert (result.ok, result.retry) == (False, False)
    assert result.detail == "no recipients: no active member of the project's teams has an email address and alerts on"
    empty = send(message(), channel("email", to="addresses", addresses=[]))
    assert (empty.ok, empty.retry, empty.detail) == (False, False, "no recipients: the channel lists no addresses")
    assert smtp_server.envelopes == []


def test_a_temporary_smtp_refusal_is_retried(smtp_server):
    smtp_server.rcpt_reply = "451 4.3.0 Try again later"
    result = send(message())
    assert (result.ok, result.retry) == (False, True)
    assert result.detail == "the mail server refused every recipient: ops@example.com: 451 4.3.0 Try again later"


def test_a_permanent_smtp_refusal_is_not_retried(smtp_server):
    smtp_server.rcpt_reply = "550 5.1.1 No such user"
    result = send(message())
    assert (result.ok, result.retry) == (False, False)
    assert result.detail == "the mail server refused every recipient: ops@example.com: 550 5.1.1 No such user"


def test_an_unreachable_mail_server_is_retried(smtp_server, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = probe.getsockname()[1]
    result = send(message())
    assert (result.ok, result.retry) == (False, True)
    assert result.detail == "the mail server refused the connection (is EMAIL_URL right?)"


def test_a_mail_server_that_never_answers_times_out(smtp_server, settings, silent_server):
    settings.EMAIL_PORT = silent_server
    settings.EMAIL_TIMEOUT = 1
    result, seconds = timed(send, message())
    assert seconds < 3
    assert (result.ok, result.retry, result.detail) == (False, True, "the mail server did not answer in time")


def test_without_email_timeout_the_alert_total_timeout_bounds_the_connection(smtp_server, settings, silent_server):
    settings.EMAIL_PORT = silent_server
    settings.EMAIL_TIMEOUT = None
    settings.TRACEHOUND = {**settings.TRACEHOUND, "ALERT_TOTAL_TIMEOUT_SECONDS": 1}
    result, seconds = timed(send, message())
    assert seconds < 3 and result.retry is True


def test_the_embedded_default_prints_the_mail(settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    result = send(message())
    assert result.ok
    printed = capsys.readouterr().out
    assert f"Subject: {SUBJECT}" in printed
    assert "References: <issue-42@localhost>" in printed
