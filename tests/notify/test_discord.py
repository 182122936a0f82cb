"""The Discord transport against a local server playing Discord: no mentions, escaped markdown, Discord's limits."""

from notify.transports import discord
from notify.transports.registry import transport_for
from tests.notify.builders import BASE, HOSTILE, channel, issue_summary, message, summary


def send(receiver, msg, path="/discord"):
    result = transport_for("discord").send(channel("discord", url=receiver.url(path)), msg)
    return result, receiver.requests[-1].json() if receiver.requests else None


def embed_texts(embed: dict) -> list[str]:
    fields = [text for field in embed.get("fields", []) for text in (field["name"], field["value"])]
    return [embed["title"], embed["description"], embed["footer"]["text"], *fields]


def test_an_alert_arrives_as_an_embed_that_mentions_nobody(receiver):
    result, payload = send(receiver, message())
    assert result.ok and result.detail == "204 No Content"
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["content"] == "**New issue** in Shop backend"
    (embed,) = payload["embeds"]
    assert embed["title"] == "New issue: ZeroDivisionError: division by zero"
    assert embed["description"] == f"shop.views.checkout\n[Open SHOP-BACKEND-42]({BASE}/issues/42/)"
    assert embed["color"] == discord.LEVEL_COLORS["error"]
    assert [(field["name"], field["value"]) for field in embed["fields"]] == [
        ("Project", "Shop backend"),
        ("Level", "error"),
        ("Environment", "production"),
        ("Release", "shop@1.2.3"),
        ("Events", "1,234"),
        ("Users", "56"),
    ]
    # Discord rejects a whole message whose embed url has no dot in its host (localhost): the link is in the text.
    assert "url" not in embed


def test_the_title_links_to_the_issue_when_discord_accepts_the_url(receiver):
    url = "https://errors.example.com/issues/42/"
    _, payload = send(receiver, message(issue=issue_summary(url=url)))
    assert payload["embeds"][0]["url"] == url


def test_event_text_is_escaped_and_can_neither_mention_nor_forge_a_link(receiver):
    hostile = issue_summary(title=HOSTILE, culprit=HOSTILE, environment=HOSTILE, release=HOSTILE)
    result, payload = send(receiver, message(issue=hostile, project_name=HOSTILE))
    assert result.ok
    assert payload["allowed_mentions"] == {"parse": []}
    (embed,) = payload["embeds"]
    description = embed["description"]
    assert "\\[Open the issue\\]\\(https://evil.example/x\\)" in description
    assert "@\u200beveryone @\u200bhere \\<@\u200b123\\> \\<@&456\\>" in description
    assert "\\*bold\\* \\_italic\\_ \\~strike\\~ \\|\\|spoiler\\|\\| \\> quote \\`code\\` \\`\\`\\`block\\`\\`\\`" in (
        description
    )
    assert "\\# heading" in description
    for text in embed_texts(embed) + [payload["content"]]:
        assert "@everyone" not in text and "@here" not in text and "<@123>" not in text
        assert "](https://evil" not in text.replace("\\]\\(https://evil", "")
    # The one masked link left is ours.
    assert description.endswith(f"\n[Open SHOP-BACKEND-42]({BASE}/issues/42/)")


def test_every_part_is_cut_to_discords_limits(receiver):
    long = "y" * 10_000
    huge = issue_summary(title=long, culprit=long, environment=long, release=long, level=long)
    result, payload = send(receiver, message(issue=huge, project_name=long, headline=long))
    assert result.ok
    (embed,) = payload["embeds"]
    assert len(payload["content"]) <= discord.CONTENT_CHARS
    assert len(embed["title"]) == discord.TITLE_CHARS and embed["title"].endswith("…")
    assert len(embed["description"]) <= discord.DESCRIPTION_CHARS
    assert all(len(field["name"]) <= discord.FIELD_NAME_CHARS for field in embed["fields"])
    assert all(len(field["value"]) <= discord.FIELD_VALUE_CHARS for field in embed["fields"])
    assert sum(len(text) for text in embed_texts(embed)) <= discord.EMBED_TOTAL_CHARS


def test_a_cut_never_leaves_a_backslash_escaping_the_ellipsis(receiver):
    _, payload = send(receiver, message(issue=issue_summary(title="*" * 500)))
    title = payload["embeds"][0]["title"]
    assert title.endswith("\\*…") and len(title) <= discord.TITLE_CHARS


def test_a_storm_summary_lists_what_fits_and_says_how_many_more(receiver):
    result, payload = send(receiver, summary(200, total=250))
    assert result.ok
    (embed,) = payload["embeds"]
    assert embed["title"] == "250 alerts in the last minute"
    assert len(embed["description"]) <= discord.DESCRIPTION_CHARS
    listed = embed["description"].count("[SHOP-")
    assert 10 < listed < 200
    assert f"and {250 - listed} more" in embed["description"]
    assert embed["description"].endswith(f"[See them all in Tracehound]({BASE}/projects/shop-backend/issues/)")


def test_a_deleted_webhook_is_a_failure_that_says_so_and_is_not_retried(receiver):
    result, _ = send(receiver, message(), path="/discord-404")
    assert result.ok is False and result.retry is False
    assert result.detail == (
        '404 from 127.0.0.1: {"message": "Unknown Webhook", "code": 10015} (the webhook was deleted?)'
    )


def test_rate_limits_are_retried_after_what_discord_asked(receiver):
    result, _ = send(receiver, message(), path="/429")
    assert (result.ok, result.retry, result.retry_after) == (False, True, 7.0)
