"""Text helpers the transports share: cutting to a receiver's limit, and the facts of an issue as label/value pairs."""

import re

from notify.messages import IssueSummary, Message

ELLIPSIS = "…"
LISTED_ISSUES = 50  # issues a summary lists by name in the channels without a tighter limit

# C0 and C1 controls (tab and newline too), DEL, the Unicode line and paragraph separators, and the bidirectional
# controls that can make a line read backwards.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MULTILINE_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


# An "@" that starts a word (not the one inside an email address or "shop@1.2"): where chat services see mentions.
_MENTION = re.compile(r"(?<![\w.])@(?=\w)")


def break_mentions(text: str) -> str:
    """A zero-width space after every "@" that starts a word, so `@channel`, `@here`, `@everyone` or `@alice` is
    shown as written instead of notifying anyone."""
    return _MENTION.sub("@\u200b", text)


def cut(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its start and an ellipsis, `limit` characters in all."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS if limit > 0 else ""


def one_line(text: str) -> str:
    """Every control character (line breaks included) replaced by a space, runs of spaces collapsed."""
    return " ".join(_CONTROLS.sub(" ", text).split())


def plain(text: str) -> str:
    """Control characters removed, but line breaks and tabs kept: for bodies, where lines are fine."""
    return _MULTILINE_CONTROLS.sub("", text)


def issue_facts(message: Message, issue: IssueSummary) -> list[tuple[str, str]]:
    """The label/value pairs every channel shows for an issue, empty values left out."""
    facts = [
        ("Project", message.project_name),
        ("Level", issue.level),
        ("Environment", issue.environment),
        ("Release", issue.release),
        ("Events", f"{issue.times_seen:,}"),
        ("Users", f"{issue.users_seen:,}"),
    ]
    return [(label, value) for label, value in facts if value]


def more_count(message: Message, listed: int) -> int:
    """How many alerts of a summary are not among the `listed` first issues."""
    return max(max(message.total, len(message.issues)) - listed, 0)


def _issue_lines(message: Message, issue: IssueSummary) -> list[str]:
    lines = [f"{one_line(message.headline)} in {one_line(message.project_name)}", "", cut(plain(issue.title), 1000)]
    if issue.culprit:
        lines.append(cut(plain(issue.culprit), 2000))
    lines.append("")
    lines.extend(f"{label}: {cut(one_line(value), 500)}" for label, value in issue_facts(message, issue))
    lines += ["", f"Open {issue.short_id or 'the issue'}: {issue.url}"]
    return lines


def _summary_lines(message: Message) -> list[str]:
    lines = [f"{one_line(message.headline)} in {one_line(message.project_name)}", ""]
    listed = message.issues[:LISTED_ISSUES]
    for issue in listed:
        lines.append(f"- {issue.short_id} {cut(one_line(issue.title), 300)} ({issue.times_seen:,} events)")
        lines.append(f"  {issue.url}")
    if more := more_count(message, len(listed)):
        lines.append(f"and {more:,} more")
    if message.list_url:
        lines += ["", f"See them all: {message.list_url}"]
    return lines


def plain_text(message: Message) -> str:
    """The message as plain text (event text without control characters): email's text part, Apprise's body."""
    lines = _issue_lines(message, message.issue) if message.issue is not None else _summary_lines(message)
    return "\n".join(lines) + "\n"
