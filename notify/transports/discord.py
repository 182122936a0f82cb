"""Discord webhooks: one embed (title linking to the issue, description, fields) under a short content line.

Event text is untrusted. `allowed_mentions: {"parse": []}` is what guarantees that `@everyone`, `@here`, `<@id>`
and `<@&role>` never notify anyone, wherever they appear; the text is escaped besides, so that it shows as
written: Discord markdown (`*`, `_`, `~`, `|` spoilers, `>` quotes, backticks, `#` headings) and masked links
(`[Open the issue](https://evil.example)`) get a backslash, and a word-starting `@` a zero-width space, so a title
does not even look like a mention. Every part is cut to Discord's limits: content 2,000 characters, title 256,
description 4,096, field name 256 and value 1,024, at most 25 fields, and 6,000 for an embed's texts together.
"""

import re
from urllib.parse import urlsplit

from notify.messages import IssueSummary, Message
from notify.transports import SendResult
from notify.transports.http_post import encode_json, post_json
from notify.transports.text import ELLIPSIS, break_mentions, issue_facts, more_count, one_line, plain

CONTENT_CHARS = 2000
TITLE_CHARS = 256
DESCRIPTION_CHARS = 4096
FIELD_NAME_CHARS = 256
FIELD_VALUE_CHARS = 1024
MAX_FIELDS = 25
EMBED_TOTAL_CHARS = 6000

LEVEL_COLORS = {"fatal": 0x9B1C1C, "error": 0xE03E2F, "warning": 0xF0A030, "info": 0x3B82F6, "debug": 0x9CA3AF}
DEFAULT_COLOR = 0x6B7280

_MARKDOWN = re.compile(r"([\\*_~|>`\[\]()<#])")

# Discord's JSON error codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes, JSON).
HINTS = {
    10015: "(the webhook was deleted?)",
    50027: "(the webhook URL's token is wrong)",
    50035: "(Discord did not accept the message Tracehound built: please report this)",
    40005: "(the message is too large)",
}


def escape(text: str) -> str:
    """Text as Discord shows it literally: markdown characters backslashed, mentions broken."""
    return break_mentions(_MARKDOWN.sub(r"\\\1", text))


def cut_escaped(text: str, limit: int) -> str:
    """Cut escaped text to `limit` characters without leaving a lone backslash that would escape the ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    trailing = len(head) - len(head.rstrip("\\"))
    if trailing % 2:
        head = head[:-1]
    return head + ELLIPSIS


def safe_line(text: str, limit: int) -> str:
    return cut_escaped(escape(one_line(text)), limit)


def masked_link(url: str, label: str) -> str:
    """`[label](url)`; the URL is ours, made safe for the parentheses around it; the label is escaped."""
    url = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"[{escape(label)}]({url})"


def _embeddable(url: str) -> bool:
    # Discord refuses an embed whose url has no dot in its host ("http://localhost:8000/..." fails the whole
    # message with a 400), so such a URL goes only into the description's link.
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and "." in (parts.hostname or "")
    except ValueError:
        return False


def _embed_length(embed: dict) -> int:
    fields = embed.get("fields", [])
    return (
        len(embed.get("title", ""))
        + len(embed.get("description", ""))
        + sum(len(field["name"]) + len(field["value"]) for field in fields)
        + len(embed.get("footer", {}).get("text", ""))
    )


def _fit(embed: dict) -> dict:
    """Shorten the description, then the longest field values, until the embed's texts fit in 6,000 characters."""
    excess = _embed_length(embed) - EMBED_TOTAL_CHARS
    if excess > 0 and embed.get("description"):
        keep = max(len(embed["description"]) - excess, 1)
        embed["description"] = cut_escaped(embed["description"], keep)
        excess = _embed_length(embed) - EMBED_TOTAL_CHARS
    while excess > 0 and embed.get("fields"):
        longest = max(embed["fields"], key=lambda field: len(field["value"]))
        if len(longest["value"]) <= 1:
            embed["fields"].remove(longest)
        else:
            longest["value"] = cut_escaped(longest["value"], max(len(longest["value"]) - excess, 1))
        excess = _embed_length(embed) - EMBED_TOTAL_CHARS
    return embed


def _issue_embed(message: Message, issue: IssueSummary) -> dict:
    lines = []
    if issue.culprit:
        lines.append(cut_escaped(escape(plain(issue.culprit)), 1500))
    lines.append(masked_link(issue.url, f"Open {issue.short_id}" if issue.short_id else "Open the issue"))
    embed = {
        "title": safe_line(f"{message.headline}: {issue.title}", TITLE_CHARS),
        "description": cut_escaped("\n".join(lines), DESCRIPTION_CHARS),
        "color": LEVEL_COLORS.get(issue.level, DEFAULT_COLOR),
        "fields": [
            {
                "name": safe_line(label, FIELD_NAME_CHARS),
                "value": safe_line(value, FIELD_VALUE_CHARS) or "-",
                "inline": True,
            }
            for label, value in issue_facts(message, issue)[:MAX_FIELDS]
        ],
        "footer": {"text": "Tracehound"},
    }
    if _embeddable(issue.url):
        embed["url"] = issue.url
    return embed


def _summary_embed(message: Message) -> dict:
    lines, listed, used = [], 0, 0
    for issue in message.issues:
        events = f"{issue.times_seen:,} event{'s' if issue.times_seen != 1 else ''}"
        line = f"{masked_link(issue.url, issue.short_id or 'issue')} {safe_line(issue.title, 300)} ({events})"
        if used + len(line) + 1 > DESCRIPTION_CHARS - 200:  # room for the closing line
            break
        lines.append(line)
        listed += 1
        used += len(line) + 1
    if more := more_count(message, listed):
        lines.append(f"and {more:,} more")
    if message.list_url:
        lines.append(masked_link(message.list_url, "See them all in Tracehound"))
    embed = {
        "title": safe_line(message.headline, TITLE_CHARS),
        "description": cut_escaped("\n".join(lines), DESCRIPTION_CHARS),
        "color": DEFAULT_COLOR,
        "fields": [{"name": "Project", "value": safe_line(message.project_name, FIELD_VALUE_CHARS), "inline": True}],
        "footer": {"text": "Tracehound"},
    }
    if message.list_url and _embeddable(message.list_url):
        embed["url"] = message.list_url
    return embed


def build_payload(message: Message) -> dict:
    embed = _issue_embed(message, message.issue) if message.issue is not None else _summary_embed(message)
    content = f"**{safe_line(message.headline, 500)}** in {safe_line(message.project_name, 500)}"
    return {
        "content": cut_escaped(content, CONTENT_CHARS),
        "allowed_mentions": {"parse": []},
        "embeds": [_fit(embed)],
    }


def explain(status: int, said: str) -> str:
    found = re.search(r'"code"\s*:\s*(\d+)', said)
    if found and int(found.group(1)) in HINTS:
        return HINTS[int(found.group(1))]
    if status == 404:
        return HINTS[10015]
    return ""


class DiscordTransport:
    def send(self, channel, message: Message) -> SendResult:
        return post_json(channel.config.get("url", ""), encode_json(build_payload(message)), explain=explain)
