"""Slack incoming webhooks: a Block Kit message with a plain `text` fallback.

Mattermost and Rocket.Chat incoming webhooks take the same payload (they read `text`, which is complete on its
own, and ignore the blocks), so a "slack" channel pointed at them works as it is.

Event text is untrusted. Slack reads `&`, `<` and `>` as markup in every text object: `<!channel>` and `<!here>`
notify a whole channel, `<@U123>` a person, and `<https://evil.example|Open the issue>` is a link that shows other
words than where it goes. Escaping those three characters as entities (what Slack asks for, and decodes for
display) turns all of them into plain text. The `text` fallback also breaks `@word` (a zero-width space after the
`@`), because Mattermost and Rocket.Chat turn a bare `@channel` or `@alice` in it into a mention. Every part is cut to
Slack's limits: header 150 characters, section text 3,000, field 2,000, `text` 40,000, at most 50 blocks.
"""

from notify.messages import IssueSummary, Message
from notify.transports import SendResult
from notify.transports.http_post import encode_json, post_json
from notify.transports.text import ELLIPSIS, break_mentions, issue_facts, more_count, one_line

HEADER_CHARS = 150
SECTION_CHARS = 3000
FIELD_CHARS = 2000
TEXT_CHARS = 40_000
MAX_BLOCKS = 50
MAX_FIELDS = 10

# What Slack's answers to a webhook mean (its documented error strings), for a person reading the channel's status.
HINTS = {
    "no_service": "(the webhook was deleted or disabled?)",
    "no_service_id": "(the webhook URL is incomplete)",
    "no_team": "(the workspace no longer exists?)",
    "team_disabled": "(the workspace was disabled)",
    "invalid_token": "(the webhook's token was revoked, or its creator deactivated)",
    "channel_not_found": "(the channel was deleted or renamed?)",
    "channel_is_archived": "(the channel is archived)",
    "action_prohibited": "(a workspace admin restricted posting to this channel)",
    "posting_to_general_channel_denied": "(only admins may post to this channel)",
    "user_not_found": "(the webhook's user no longer exists)",
    "invalid_payload": "(Slack did not accept the message Tracehound built: please report this)",
}


def escape(text: str) -> str:
    """Text as Slack shows it literally: the three characters it reads as markup, as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut_escaped(text: str, limit: int) -> str:
    """Cut escaped text to `limit` characters without leaving half an entity (`&am`) at the end."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    return head + ELLIPSIS


def safe_text(text: str, limit: int) -> str:
    return cut_escaped(escape(one_line(text)), limit)


def link(url: str, label: str) -> str:
    """`<url|label>`; the URL is ours (built from TRACEHOUND_URL), the label is escaped."""
    url = escape(url).replace("|", "%7C")
    return f"<{url}|{escape(label)}>"


def _header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": safe_text(text, HEADER_CHARS), "emoji": False}}


def _section(mrkdwn: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut_escaped(mrkdwn, SECTION_CHARS)}}


def _issue_blocks(message: Message, issue: IssueSummary) -> list[dict]:
    lines = [f"*{link(issue.url, issue.short_id or 'Open the issue')}* in {safe_text(message.project_name, 200)}"]
    if issue.culprit:
        lines.append(safe_text(issue.culprit, SECTION_CHARS // 2))
    fields = [
        {"type": "mrkdwn", "text": cut_escaped(f"*{label}*\n{escape(one_line(value))}", FIELD_CHARS)}
        for label, value in issue_facts(message, issue)[:MAX_FIELDS]
    ]
    blocks = [_header(f"{message.headline}: {issue.title}"), _section("\n".join(lines))]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    return blocks


def _summary_blocks(message: Message) -> list[dict]:
    blocks = [_header(message.headline), _section(f"Project {safe_text(message.project_name, 200)}")]
    room = MAX_BLOCKS - len(blocks) - 1  # one left for the "and N more" line
    listed = message.issues[:room]
    for issue in listed:
        events = f"{issue.times_seen:,} event{'s' if issue.times_seen != 1 else ''}"
        label = link(issue.url, issue.short_id or "issue")
        blocks.append(_section(f"*{label}* {safe_text(issue.title, 1000)} ({events})"))
    more = more_count(message, len(listed))
    footer = f"and {more:,} more: " if more > 0 else ""
    if message.list_url:
        blocks.append(_section(footer + link(message.list_url, "see them all in Tracehound")))
    elif footer:
        blocks.append(_section(footer.rstrip(": ")))
    return blocks[:MAX_BLOCKS]


def fallback_text(message: Message) -> str:
    """The `text` field: what notifications show, and all that Mattermost and Rocket.Chat show."""
    lines = [escape(break_mentions(one_line(message.subject)))]
    if message.issue is not None:
        if message.issue.culprit:
            lines.append(escape(break_mentions(one_line(message.issue.culprit))))
        lines.append(link(message.issue.url, message.issue.short_id or "Open the issue"))
    else:
        listed = message.issues[:20]
        for issue in listed:
            title = escape(break_mentions(one_line(issue.title)))
            lines.append(f"{link(issue.url, issue.short_id or 'issue')} {title}")
        if more := more_count(message, len(listed)):
            lines.append(f"and {more:,} more")
        if message.list_url:
            lines.append(link(message.list_url, "see them all"))
    return cut_escaped("\n".join(lines), TEXT_CHARS)


def build_payload(message: Message) -> dict:
    blocks = _issue_blocks(message, message.issue) if message.issue is not None else _summary_blocks(message)
    return {"text": fallback_text(message), "blocks": blocks}


def explain(status: int, said: str) -> str:
    return HINTS.get(said.strip(), "")


class SlackTransport:
    def send(self, channel, message: Message) -> SendResult:
        return post_json(channel.config.get("url", ""), encode_json(build_payload(message)), explain=explain)
