"""The Slack transport against a local server playing Slack: what it receives, escaped and within Slack's limits."""

import re

from notify.transports import slack
from notify.transports.registry import transport_for
from tests.notify.builders import BASE, HOSTILE, channel, issue_summary, message, summary


def texts(value) -> list[str]:
    """Every string under a "text" key of a Block Kit payload, however deep."""
    if isinstance(value, dict):
        found = [value["text"]] if isinstance(value.get("text"), str) else []
        return found + [text for item in value.values() for text in texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in texts(item)]
    return []


def send(receiver, msg, path="/slack"):
    result = transport_for("slack").send(channel("slack", url=receiver.url(path)), msg)
    return result, receiver.requests[-1].json() if receiver.requests else None


def test_an_alert_arrives_as_block_kit_with_a_text_fallback(receiver):
    result, payload = send(receiver, message())
    assert result.ok and result.detail == "200 OK"
    assert payload["text"].startswith("[shop-backend] New issue: ZeroDivisionError: division by zero\n")
    assert f"<{BASE}/issues/42/|SHOP-BACKEND-42>" in payload["text"]
    header, section, facts = payload["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "New issue: ZeroDivisionError: division by zero", "emoji": False},
    }
    assert section["text"]["type"] == "mrkdwn"
    assert section["text"]["text"] == f"*<{BASE}/issues/42/|SHOP-BACKEND-42>* in Shop backend\nshop.views.checkout"
    assert [field["text"] for field in facts["fields"]] == [
        "*Project*\nShop backend",
        "*Level*\nerror",
        "*Environment*\nproduction",
        "*Release*\nshop@1.2.3",
        "*Events*\n1,234",
        "*Users*\n56",
    ]


def test_event_text_cannot_mention_anyone_or_forge_a_link(receiver):
    hostile = issue_summary(title=HOSTILE, culprit=HOSTILE, environment=HOSTILE, release=HOSTILE)
    result, payload = send(receiver, message(issue=hostile, project_name=HOSTILE))
    assert result.ok
    every_text = texts(payload)
    assert len(every_text) > 5
    for text in every_text:
        # The only markup left is our own link to the issue: every "<" opens it.
        for inside in re.findall(r"<([^>]*)>", text):
            assert inside.startswith(f"{BASE}/issues/42/|"), inside
        assert "<!channel>" not in text and "<!here>" not in text and "<@U024BE7LH>" not in text
        assert "<https://evil.example" not in text
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;@U024BE7LH&gt;" in payload["blocks"][0]["text"]["text"]
    assert "&lt;https://evil.example/login|Open the issue&gt; &amp; " in payload["blocks"][1]["text"]["text"]
    # Mattermost and Rocket.Chat read only `text`, where they would turn a bare @channel into a mention.
    assert "@\u200beveryone @\u200bhere" in payload["text"]


def test_every_part_is_cut_to_slacks_limits(receiver):
    long = "x" * 10_000
    huge = issue_summary(title=long, culprit=long, environment=long, release=long)
    result, payload = send(receiver, message(issue=huge, project_name=long))
    assert result.ok
    header = payload["blocks"][0]["text"]["text"]
    assert len(header) == slack.HEADER_CHARS and header.endswith("…")
    assert len(payload["blocks"][1]["text"]["text"]) <= slack.SECTION_CHARS
    assert all(len(field["text"]) <= slack.FIELD_CHARS for field in payload["blocks"][2]["fields"])
    assert len(payload["text"]) <= slack.TEXT_CHARS


def test_a_cut_never_leaves_half_an_entity(receiver):
    _, payload = send(receiver, message(issue=issue_summary(title="&" * 500)))
    header = payload["blocks"][0]["text"]["text"]
    assert re.fullmatch(r"(?:[^&]|&amp;|&lt;|&gt;)*…", header), header[-12:]


def test_a_storm_summary_stays_within_fifty_blocks_and_says_how_many_more(receiver):
    result, payload = send(receiver, summary(200, total=250))
    assert result.ok
    blocks = payload["blocks"]
    assert len(blocks) == slack.MAX_BLOCKS
    assert blocks[0]["text"]["text"] == "250 alerts in the last minute"
    listed = [block for block in blocks if "SHOP-" in block.get("text", {}).get("text", "")]
    assert len(listed) == 47
    assert blocks[-1]["text"]["text"] == (
        f"and 203 more: <{BASE}/projects/shop-backend/issues/|see them all in Tracehound>"
    )
    assert len(payload["text"]) <= slack.TEXT_CHARS and "and 230 more" in payload["text"]


def test_a_test_message_without_issue_is_sent_too(receiver):
    result, payload = send(receiver, message(kind="test", headline="Test message", issue=None))
    assert result.ok
    assert payload["blocks"][0]["text"]["text"] == "Test message"
    assert payload["text"] == "[shop-backend] Test message"


def test_a_deleted_webhook_is_a_failure_that_says_so_and_is_not_retried(receiver):
    result, _ = send(receiver, message(), path="/slack-404")
    assert result.ok is False and result.retry is False
    assert result.detail == "404 from 127.0.0.1: no_service (the webhook was deleted or disabled?)"


def test_slack_errors_and_rate_limits_are_retried(receiver):
    server_error, _ = send(receiver, message(), path="/500")
    assert server_error.retry is True and server_error.detail == "500 from 127.0.0.1: internal error"
    limited, _ = send(receiver, message(), path="/429")
    assert (limited.retry, limited.retry_after) == (True, 7.0)


def test_a_channel_url_on_a_refused_address_is_not_sent_to():
    result = transport_for("slack").send(channel("slack", url="http://169.254.169.254/hooks"), message())
    assert result.ok is False and result.retry is False
    assert result.detail.startswith("refused: 169.254.169.254 is a link-local address; ")
