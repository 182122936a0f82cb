"""Grouping version 2026-11, frozen: its keys must never change (tests/issues/grouping_cases hold them).

By priority:
1. the event's `fingerprint`, with `{{ default }}` replaced by the default parts below;
2. stack trace: for each exception of the chain, its type and its in-app frames (all frames when none is in-app)
   as module (or file basename) plus function, generated names normalised; never line numbers, which move
   with every unrelated edit of the file;
3. exception type and value (placeholders for variable parts) when there are no frames;
4. the message: the unformatted template when the client sent one (a logging call's "User %s not found"), else
   its first lines with placeholders for numbers, ids, addresses, dates and quoted values.

A message's own stack trace (`threads`, or a top-level `stacktrace`: where it was logged from) is kept in the
event but not used here.
"""

import re
from functools import lru_cache

from issues.grouping.key import GroupingKey

VERSION = "2026-11"
MESSAGE_LINES = 3
MESSAGE_CHARS = 500

DEFAULT_PLACEHOLDER = re.compile(r"^\s*\{\{\s*default\s*\}\}\s*$", re.IGNORECASE)

# Applied in order: the specific shapes first, so that a UUID is not read as numbers and hex.
_VARIABLE_PARTS = [
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"\b[\w.%+-]+@[\w-]+(?:\.[\w-]+)+\b"), "<email>"),
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.I), "<url>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"), "<date>"),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b"), "<time>"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"(?<![\w:])(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{1,4}\b", re.I), "<ip>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.I), "<hex>"),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.I), "<hex>"),
    (re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`"), "<quoted>"),
    (re.compile(r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*\b"), "<num>"),
]

# Names the compiler or runtime invents (memory addresses, lambda and proxy counters, bundler hashes).
_GENERATED_NAME_PARTS = [
    (re.compile(r"0x[0-9a-f]+", re.I), "0x?"),
    (re.compile(r"\$\$Lambda\$?[\w/]*"), "$$Lambda$?"),
    (re.compile(r"lambda\$([\w]+)\$\d+"), r"lambda$\1$?"),
    (re.compile(r"\$\$(EnhancerBy\w+|FastClassBy\w+|Proxy)\$\$\w+"), r"$$\1$$?"),
    (re.compile(r"\$Proxy\d+"), "$Proxy?"),
    (re.compile(r"\$\d+\b"), "$?"),
    (re.compile(r"<lambda_\d+>|<lambda\d+>"), "<lambda>"),
    (re.compile(r"(?<=[._-])[0-9a-f]{8,}(?=[._-]|$)", re.I), "?"),
]


def placeholders(text: str) -> str:
    for pattern, replacement in _VARIABLE_PARTS:
        text = pattern.sub(replacement, text)
    return text


@lru_cache(maxsize=16384)
def generated_names_normalised(name: str) -> str:
    for pattern, replacement in _GENERATED_NAME_PARTS:
        name = pattern.sub(replacement, name)
    return name


def _frame_part(frame: dict) -> str:
    where = frame["module"]
    if not where:
        path = frame["filename"] or frame["abs_path"]
        where = re.split(r"[/\\]", path)[-1] if path else "?"
    return f"frame: {generated_names_normalised(where)} {generated_names_normalised(frame['function'] or '?')}"


def _message_part(data: dict) -> str:
    template = data["logentry"].get("message") if data["logentry"] else ""
    source = template or data["message"]
    lines = [line.strip() for line in source.strip().splitlines() if line.strip()][:MESSAGE_LINES]
    return "message: " + placeholders("\n".join(lines)[:MESSAGE_CHARS])


def default_key(data: dict) -> GroupingKey:
    """The key from the event's own content (no fingerprint): stack trace, else exception, else message."""
    exceptions = data["exception"]["values"]
    if any(exception["stacktrace"]["frames"] for exception in exceptions):
        parts = []
        for exception in exceptions:
            parts.append(f"type: {exception['type'] or '?'}")
            frames = exception["stacktrace"]["frames"]
            in_app = [frame for frame in frames if frame["in_app"]]
            parts.extend(_frame_part(frame) for frame in in_app or frames)
        return GroupingKey(VERSION, "stacktrace", tuple(parts))
    if exceptions:
        parts = []
        for exception in exceptions:
            parts.append(f"type: {exception['type'] or '?'}")
            parts.append("value: " + placeholders(exception["value"].strip()[:MESSAGE_CHARS]))
        return GroupingKey(VERSION, "exception", tuple(parts))
    if data["message"] or data["logentry"]:
        return GroupingKey(VERSION, "message", (_message_part(data),))
    return GroupingKey(VERSION, "empty", ("empty: no exception and no message",))


def with_fingerprint(fingerprint: list[str], default: GroupingKey) -> GroupingKey:
    """The key of an event with `fingerprint`, `{{ default }}` standing for `default`'s parts (and hash, in the
    expanded fingerprint kept for the stored event). Newer versions use it as it is."""
    if not fingerprint:
        return default
    parts: list[str] = []
    expanded = []
    for item in fingerprint:
        if DEFAULT_PLACEHOLDER.match(item):
            parts.extend(default.parts)
            expanded.append(default.hash)
        else:
            parts.append(f"fingerprint: {item}")
            expanded.append(item)
    if list(parts) == list(default.parts):
        # ["{{ default }}"] alone is the default grouping, and must land in the same issue
        return GroupingKey(default.version, default.kind, default.parts, tuple(expanded))
    return GroupingKey(default.version, "fingerprint", tuple(parts), tuple(expanded))


def grouping_key(data: dict) -> GroupingKey:
    """The key that decides the issue of the normalised event `data` (which is not changed)."""
    return with_fingerprint(data["fingerprint"], default_key(data))
