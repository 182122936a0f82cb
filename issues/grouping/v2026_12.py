"""Grouping version 2026-12. What changed from 2026-11 (whose helpers it uses where nothing changed):

- A frame's part includes its source line (`context_line`, whitespace collapsed; left out when longer than
  CONTEXT_CHARS, where it is more likely generated or minified code than a statement), so two raise sites in one
  function, and same-named methods of different classes in one module (sentry-sdk sends `post` for both
  `CheckoutView.post` and `RefundView.post`), are different problems; line numbers still play no part.
- Consecutive identical frames count once: a recursion that fails at depth 3 and at depth 30 is one problem.
- Exception groups (`mechanism.is_exception_group`, children naming it as their `parent_id`: Python 3.11's
  ExceptionGroup and TaskGroup): a group whose children are all one problem is grouped as that child, whatever
  their number; otherwise as the group and its distinct children, in no particular order.
- More variable parts in values and messages: durations and sizes with units (`1234ms`, `12.3 s`, `5 min`,
  `512 KB`), numbers with exponents, `host:port`.
"""

import re

from issues.grouping.key import GroupingKey
from issues.grouping.v2026_11 import (
    MESSAGE_CHARS,
    MESSAGE_LINES,
    generated_names_normalised,
    with_fingerprint,
)

VERSION = "2026-12"
CONTEXT_CHARS = 120

_UNITS_OF_TIME = r"(?:ns|us|µs|ms|s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?|d|days?)"
_UNITS_OF_SIZE = r"(?:[kmgtp]i?b|bytes?|b)"

# Applied in order: the specific shapes first, so that a UUID is not read as numbers and hex, nor 10.0.0.1:5432 as
# a duration.
_VARIABLE_PARTS = [
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"\b[\w.%+-]+@[\w-]+(?:\.[\w-]+)+\b"), "<email>"),
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.I), "<url>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"), "<date>"),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b"), "<time>"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"(?<![\w:])(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{1,4}\b", re.I), "<ip>"),
    (re.compile(r"\b(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)+):\d{1,5}\b", re.I), "<host:port>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.I), "<hex>"),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.I), "<hex>"),
    (re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`"), "<quoted>"),
    (re.compile(rf"(?<![\w.])\d+(?:[.,]\d+)?\s?{_UNITS_OF_TIME}\b", re.I), "<duration>"),
    (re.compile(rf"(?<![\w.])\d+(?:[.,]\d+)?\s?{_UNITS_OF_SIZE}\b", re.I), "<size>"),
    (re.compile(r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?\b", re.I), "<num>"),
]


def placeholders(text: str) -> str:
    for pattern, replacement in _VARIABLE_PARTS:
        text = pattern.sub(replacement, text)
    return text


def _source_line(frame: dict) -> str:
    line = " ".join((frame["context_line"] or "").split())
    return line if len(line) <= CONTEXT_CHARS else ""


def _frame_part(frame: dict) -> str:
    where = frame["module"]
    if not where:
        path = frame["filename"] or frame["abs_path"]
        where = re.split(r"[/\\]", path)[-1] if path else "?"
    part = f"frame: {generated_names_normalised(where)} {generated_names_normalised(frame['function'] or '?')}"
    line = _source_line(frame)
    return f"{part} | {line}" if line else part


def _stack_parts(exception: dict) -> list[str]:
    """The type, then the frames that matter (in-app ones, else all), a run of identical ones counted once."""
    frames = exception["stacktrace"]["frames"]
    in_app = [frame for frame in frames if frame["in_app"]]
    parts = [f"type: {exception['type'] or '?'}"]
    for frame in in_app or frames:
        part = _frame_part(frame)
        if part != parts[-1]:
            parts.append(part)
    return parts


def _exception_parts(exception: dict, with_frames: bool) -> list[str]:
    if with_frames:
        return _stack_parts(exception)
    return [f"type: {exception['type'] or '?'}", "value: " + placeholders(exception["value"].strip()[:MESSAGE_CHARS])]


def _group_parts(exceptions: list[dict], with_frames: bool) -> list[str] | None:
    """The parts of an exception group: as its one distinct child, or as itself and its distinct children.
    None when the event holds no group."""
    groups = {
        exception["mechanism"]["exception_id"]: exception
        for exception in exceptions
        if exception["mechanism"]["is_exception_group"] and exception["mechanism"]["exception_id"] is not None
    }
    if not groups:
        return None
    children = [
        exception
        for exception in exceptions
        if exception["mechanism"]["parent_id"] in groups and not exception["mechanism"]["is_exception_group"]
    ]
    distinct = sorted({tuple(_exception_parts(child, with_frames)) for child in children})
    if len(distinct) == 1:
        return list(distinct[0])
    outermost = next(
        (group for group in groups.values() if group["mechanism"]["parent_id"] not in groups),
        next(iter(groups.values())),
    )
    return [*_exception_parts(outermost, with_frames), *(part for child in distinct for part in child)]


def _message_part(data: dict) -> str:
    template = data["logentry"].get("message") if data["logentry"] else ""
    source = template or data["message"]
    lines = [line.strip() for line in source.strip().splitlines() if line.strip()][:MESSAGE_LINES]
    return "message: " + placeholders("\n".join(lines)[:MESSAGE_CHARS])


def default_key(data: dict) -> GroupingKey:
    """The key from the event's own content (no fingerprint): stack trace, else exception, else message."""
    exceptions = data["exception"]["values"]
    with_frames = any(exception["stacktrace"]["frames"] for exception in exceptions)
    if exceptions:
        parts = _group_parts(exceptions, with_frames)
        if parts is None:
            parts = [part for exception in exceptions for part in _exception_parts(exception, with_frames)]
        return GroupingKey(VERSION, "stacktrace" if with_frames else "exception", tuple(parts))
    if data["message"] or data["logentry"]:
        return GroupingKey(VERSION, "message", (_message_part(data),))
    return GroupingKey(VERSION, "empty", ("empty: no exception and no message",))


def grouping_key(data: dict) -> GroupingKey:
    """The key that decides the issue of the normalised event `data` (which is not changed)."""
    return with_fingerprint(data["fingerprint"], default_key(data))
