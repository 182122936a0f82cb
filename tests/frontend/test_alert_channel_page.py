"""A channel's page: its last deliveries with their status and errors (receiver text, shown inert and isolated),
the messages that carried summarized and held alerts, the test button, and what only team admins see."""

import re

import pytest
from django.urls import reverse

from notify import sending
from notify.models import Channel, Delivery
from notify.transports import SendResult
from projects.models import TeamMembership
from tests.frontend.alert_factories import SLACK_URL, make_alert, make_channel, make_delivery, make_rule
from tests.frontend.factories import make_issue
from tests.frontend.test_security import BIDI, PAYLOAD, SCRIPT, assert_inert, assert_isolated

pytestmark = pytest.mark.django_db

Status = Delivery.Status


def channel_page(client, channel, **query):
    response = client.get(reverse("alert-channel", args=[channel.project_id, channel.pk]), query)
    assert response.status_code == 200
    return response.content.decode()


def row_of(html: str, delivery: Delivery) -> str:
    return re.search(rf'<tr id="delivery-{delivery.pk}"[^>]*>(.*?)</tr>', html, re.DOTALL).group(1)


def test_deliveries_show_status_error_and_what_carried_them(member_client, project, channel):
    rule = make_rule(project, [channel], "Checkout rule")
    issue = make_issue(project, title="PaymentDeclined: card expired")
    sent = make_delivery(channel, make_alert(rule, issue), minutes_ago=50, status=Status.SENT, attempts=1)
    failed = make_delivery(
        channel,
        make_alert(rule),
        minutes_ago=40,
        status=Status.FAILED,
        attempts=1,
        last_error="404 from hooks.slack.com: no_service (the webhook was deleted)",
    )
    summary = make_delivery(channel, kind=Delivery.Kind.SUMMARY, minutes_ago=5, status=Status.SENT, attempts=1)
    in_summary = [
        make_delivery(channel, make_alert(rule), minutes_ago=6, status=Status.SUMMARIZED, carried_by=summary)
        for _ in range(3)
    ]
    notice = make_delivery(channel, kind=Delivery.Kind.HELD_NOTICE, minutes_ago=1, status=Status.PENDING)
    held = make_delivery(channel, make_alert(rule), minutes_ago=2, status=Status.HELD, carried_by=notice)
    waiting = make_delivery(channel, make_alert(rule), minutes_ago=3, status=Status.HELD)
    retrying = make_delivery(
        channel, make_alert(rule), minutes_ago=4, status=Status.PENDING, attempts=2, last_error="timed out after 10 s"
    )
    html = channel_page(member_client, channel)

    assert "PaymentDeclined: card expired" in row_of(html, sent) and "Checkout rule" in row_of(html, sent)
    assert reverse("issue", args=[issue.pk]) in row_of(html, sent)
    assert "the webhook was deleted" in row_of(html, failed) and "failed" in row_of(html, failed).lower()
    assert "Summary of 3 alerts" in row_of(html, summary)
    for delivery in in_summary:
        assert f'href="#delivery-{summary.pk}"' in row_of(html, delivery) and "summary of" in row_of(html, delivery)
    assert "Notice of 1 held-back alert" in row_of(html, notice)
    assert f'href="#delivery-{notice.pk}"' in row_of(html, held) and "hourly cap" in row_of(html, held)
    assert "until the hour" in row_of(html, waiting)
    assert "timed out after 10 s" in row_of(html, retrying) and "next try" in row_of(html, retrying)
    # Newest first.
    order = re.findall(r'<tr id="delivery-([0-9a-f-]+)"', html)
    assert order[0] == str(notice.pk) and order[-1] == str(sent.pk)


def test_deliveries_are_paged_fifty_at_a_time(member_client, channel):
    for minutes in range(55):
        make_delivery(channel, minutes_ago=minutes, status=Status.SENT)
    first = channel_page(member_client, channel)
    assert first.count('<tr id="delivery-') == 50 and "Page 1 of 2" in first and "?page=2" in first
    assert channel_page(member_client, channel, page=2).count('<tr id="delivery-') == 5
    for page in ("0", "-1", "abc", "99999999999999999999999", "1e400", "²"):
        assert channel_page(member_client, channel, page=page).count('<tr id="delivery-') in (5, 50)


def test_receiver_and_event_text_renders_inert_and_isolated(member_client, project):
    hostile = make_channel(project, PAYLOAD + BIDI, last_error=PAYLOAD + BIDI)
    rule = make_rule(project, [hostile], PAYLOAD + BIDI, tag_glob="k:" + PAYLOAD[:150], environments=[BIDI])
    issue = make_issue(project, title=PAYLOAD + BIDI)
    make_delivery(hostile, make_alert(rule, issue), status=Status.FAILED, last_error=f"400 from x: {PAYLOAD}{BIDI}")
    for url in (
        reverse("alert-channel", args=[project.pk, hostile.pk]),
        reverse("project-alerts", args=[project.pk]),
        reverse("alert-rule-edit", args=[project.pk, rule.pk]),
        reverse("alert-channel-edit", args=[project.pk, hostile.pk]),
        reverse("alert-channel-delete", args=[project.pk, hostile.pk]),
        reverse("alert-rule-delete", args=[project.pk, rule.pk]),
    ):
        html = member_client.get(url).content.decode()
        assert SCRIPT not in html and "<img" not in html, url
        assert_isolated(html, at_least=1)
    assert_inert(member_client.get(reverse("alert-channel", args=[project.pk, hostile.pk])).content.decode())


def test_the_test_button_says_what_happened(member_client, project, channel, monkeypatch):
    calls = []

    def fake_send(channel, actor):
        calls.append((channel, actor))
        return SendResult(ok=False, detail="404 from hooks.slack.com: no_service <b>gone</b>" + BIDI)

    monkeypatch.setattr(sending, "send_test_message", fake_send)
    url = reverse("alert-channel-test", args=[project.pk, channel.pk])
    assert member_client.get(url).status_code == 405
    response = member_client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("alert-channel", args=[project.pk, channel.pk]), 302)]
    html = response.content.decode()
    assert "Test message not delivered: 404 from hooks.slack.com: no_service &lt;b&gt;gone&lt;/b&gt;" in html
    assert_isolated(html, at_least=1)
    assert [(sent.pk, actor.username) for sent, actor in calls] == [(channel.pk, "ada")]

    monkeypatch.setattr(sending, "send_test_message", lambda channel, actor: SendResult(ok=True, detail="200 OK"))
    assert "Test message sent: 200 OK" in member_client.post(url, follow=True).content.decode()


def test_the_test_message_is_recorded_among_the_deliveries(member_client, project, channel):
    """Whatever the sender answers, the attempt shows on the page as a test delivery."""
    response = member_client.post(reverse("alert-channel-test", args=[project.pk, channel.pk]), follow=True)
    delivery = Delivery.objects.get(channel=channel)
    assert delivery.kind == Delivery.Kind.TEST
    assert "Test message" in row_of(response.content.decode(), delivery)


def test_only_team_admins_see_the_url_the_signing_secret_and_the_buttons(client, member, member_client, project):
    webhook = make_channel(project, "Deploy hook", kind=Channel.Kind.WEBHOOK, config={"url": SLACK_URL})
    slack = make_channel(project, "Ops Slack")
    admin_page = channel_page(member_client, webhook)
    assert (
        webhook.signing_secret in admin_page
        and "docs/webhooks.md" in admin_page
        and "X-Tracehound-Signature" in admin_page
    )
    assert SLACK_URL in admin_page and "Send a test message" in admin_page
    assert webhook.signing_secret not in channel_page(member_client, slack)  # only webhooks sign

    TeamMembership.objects.filter(user=member).update(role=TeamMembership.Role.MEMBER)
    for channel in (webhook, slack):
        page = channel_page(member_client, channel)
        assert webhook.signing_secret not in page and "secret-part" not in page
        assert "https://hooks.slack.com/…" in page  # the host, to tell channels apart
        assert "Send a test message" not in page and "Edit" not in page
    alerts_page = member_client.get(reverse("project-alerts", args=[project.pk])).content.decode()
    assert "secret-part" not in alerts_page and "New rule" not in alerts_page and "Only an admin" in alerts_page


def test_the_alerts_page_is_linked_from_the_issue_list_and_the_settings(member_client, project):
    alerts_url = reverse("project-alerts", args=[project.pk])
    for url in (reverse("project-issues", args=[project.pk]), reverse("project-settings", args=[project.pk])):
        assert f'href="{alerts_url}"' in member_client.get(url).content.decode()
    assert f'href="{reverse("account")}"' in member_client.get(reverse("home")).content.decode()


def test_the_alerts_page_lists_channels_with_last_send_and_error(member_client, project, channel):
    make_channel(project, "Team email", kind=Channel.Kind.EMAIL, last_error="SMTP refused: 550", last_error_at=None)
    html = member_client.get(reverse("project-alerts", args=[project.pk])).content.decode()
    row = re.search(rf'<tr id="channel-{channel.pk}">(.*?)</tr>', html, re.DOTALL).group(1)
    assert "Ops Slack" in row and "never" in row
    assert "SMTP refused: 550" in html and "the members of the project" in html
