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
- JavaScript events (platform "javascript" or "node") read their frames by their own rules (`_js_frame_part`):
  - the module is the SDK's module name, else the script's URL path (no scheme, host, query string or fragment:
    `?v=3.1.0` and the CDN's host change with deploys, the code does not), else the file's basename; content hashes
    that bundlers put in file names (`main.3f9a8c1b.js`, `index-BvB7Ct2q.js`), UUIDs and version directories are
    placeholders;
  - the function name without what the runtime adds: the receiver (`Object.`, `HTMLButtonElement.`, which name the
    object the function ran on, not the function), `async `, `new `, ` [as alias]`;
  - frames without a name (anonymous functions: engines infer names differently) or without a file
    (`<anonymous>`, `[native code]`: the engine's own functions, which some browsers list and others do not) do not
    contribute; when no frame of an exception does, its value does (with placeholders), so that unrelated errors
    of one type stay apart.
- A synthetic exception (`mechanism.synthetic`: the exception an SDK makes to carry the stack of a message, or of a
  thrown string) contributes its message instead of its type: two messages sent from one function are two issues,
  as they are without a stack.
"""

import re
from functools import lru_cache

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
    return _frame_part_of(
        frame["module"], frame["filename"] or frame["abs_path"], frame["function"], frame["context_line"] or ""
    )


@lru_cache(maxsize=16384)
def _frame_part_of(module: str, path: str, function: str, context_line: str) -> str:
    """A Python frame's part. The same frames recur in event after event of an issue, so each is computed once:
    the placeholder expressions and the source line's whitespace cost more than the look-up."""
    where = module or (re.split(r"[/\\]", path)[-1] if path else "?")
    part = f"frame: {generated_names_normalised(where)} {generated_names_normalised(function or '?')}"
    line = " ".join(context_line.split())
    return f"{part} | {line}" if line and len(line) <= CONTEXT_CHARS else part


def _stack_parts(data: dict, exception: dict, frame_part) -> list[str]:
    """The type (a synthetic exception's message), then the frames that matter (in-app ones, else all) with a run
    of identical ones counted once; an exception none of whose frames counts adds its value."""
    frames = exception["stacktrace"]["frames"]
    in_app = [frame for frame in frames if frame["in_app"]]
    synthetic = exception["mechanism"]["synthetic"]
    parts = [_synthetic_part(data, exception) if synthetic else f"type: {exception['type'] or '?'}"]
    for part in map(frame_part, in_app or frames):
        if part and part != parts[-1]:
            parts.append(part)
    if frames and len(parts) == 1 and not synthetic:
        parts.append("value: " + placeholders(exception["value"].strip()[:MESSAGE_CHARS]))
    return parts


def _exception_parts(data: dict, exception: dict, frame_part) -> list[str]:
    """`frame_part` is None when no exception of the event has frames: then type and value tell them apart."""
    if frame_part is not None:
        return _stack_parts(data, exception, frame_part)
    if exception["mechanism"]["synthetic"]:
        return [_synthetic_part(data, exception)]
    return [f"type: {exception['type'] or '?'}", "value: " + placeholders(exception["value"].strip()[:MESSAGE_CHARS])]


def _group_parts(data: dict, exceptions: list[dict], frame_part) -> list[str] | None:
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
    distinct = sorted({tuple(_exception_parts(data, child, frame_part)) for child in children})
    if len(distinct) == 1:
        return list(distinct[0])
    outermost = next(
        (group for group in groups.values() if group["mechanism"]["parent_id"] not in groups),
        next(iter(groups.values())),
    )
    return [*_exception_parts(data, outermost, frame_part), *(part for child in distinct for part in child)]


# JavaScript frames. Names and paths repeat across events, so a frame's part is computed once (lru_cache).
_JS_PLATFORMS = frozenset({"javascript", "node"})
_JS_NO_FILE = frozenset({"<anonymous>", "[native code]", "native", "native code", "eval code", "<unknown>"})
_JS_ANONYMOUS = frozenset({"", "?", "<anonymous>", "anonymous", "<anonymous function>", "Anonymous function", "eval"})
# "async checkout" (an awaiting caller), "new Cart" (a constructor), "Object.reserve [as hold]" (called through a
# property of another name).
_JS_FUNCTION_DECORATION = re.compile(r"^(?:async |new )+|\s*\[as [^\]]*\]$")
_JS_URL = re.compile(r"^[a-z][a-z0-9+.-]*:(?:[a-z][a-z0-9+.-]*:)?//[^/]*", re.I)  # blob:https://host too
# What bundlers and deploys put into paths, in order: UUIDs (blob: URLs), hex content hashes of 8 or more digits
# with at least one decimal digit (webpack, Parcel, Next.js, Rails, Django's manifest storage), the 8 characters of
# base64url or base32 that Rollup, Vite and esbuild append to a file name with "-" (all but a plain lowercase or
# capitalised word: one such hash in four or five has no digit), and whole directories named by a version.
_JS_PATH_HASHES = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I), "?"),
    (re.compile(r"(?<![^/._-])(?=[0-9a-f]*[0-9])[0-9a-f]{8,}(?![^/._-])", re.I), "?"),
    (re.compile(r"-(?![A-Z]?[a-z]+(?:\.|$))[A-Za-z0-9_-]{8}(?=(?:\.[A-Za-z0-9]+)*$)"), "-?"),
    (re.compile(r"(?<=/)v?[0-9]+(?:\.[0-9]+)+(?:-[0-9A-Za-z.]+)?(?=/)"), "?"),
]


def js_path_module(path: str) -> str:
    """Where a script frame is, from its path: a URL's path (no scheme, host, query string or fragment), else the
    file's basename (an absolute file path holds the deploy's directory), bundler hashes as placeholders."""
    path = path.split("#", 1)[0].split("?", 1)[0]
    url = _JS_URL.match(path)
    if url and not path.lower().startswith("file:"):
        path = path[url.end() :] or "/"
    else:
        path = path.replace("\\", "/").rsplit("/", 1)[-1]
    return _js_hashes_normalised(path)


def _js_hashes_normalised(where: str) -> str:
    for pattern, replacement in _JS_PATH_HASHES:
        where = pattern.sub(replacement, where)
    return where


def js_function_name(function: str) -> str:
    """The name of the function a script frame ran, without what the runtime adds around it ("" when anonymous)."""
    name = _JS_FUNCTION_DECORATION.sub("", function.strip())
    name = name.rsplit(".", 1)[-1]  # the receiver: Object., HTMLButtonElement., Foo.prototype.
    if "/" in name:
        name = name.rsplit("/", 1)[-1].rstrip("<")  # Firefox's nesting: "outer/<" is an anonymous inner function
    return "" if name in _JS_ANONYMOUS else name


@lru_cache(maxsize=16384)
def _js_frame_part_of(module: str, path: str, function: str, line: str) -> str | None:
    name = js_function_name(function)
    if not name or path.strip() in _JS_NO_FILE:
        return None
    if module:
        # As the SDK sent it ("shop:stock"), less a query string it kept ("shop:prices.mjs?v=1")
        where = _js_hashes_normalised(module.split("#", 1)[0].split("?", 1)[0])
    else:
        where = js_path_module(path) if path else "?"
    part = f"frame: {where} {generated_names_normalised(name)}"
    return f"{part} | {line}" if line else part


def _js_frame_part(frame: dict) -> str | None:
    """A JavaScript frame's part, None when the frame does not contribute (see the module's docstring)."""
    return _js_frame_part_of(
        frame["module"], frame["abs_path"] or frame["filename"], frame["function"], _source_line(frame)
    )


def _synthetic_part(data: dict, exception: dict) -> str:
    """A synthetic exception's part: its message, as `_message_part` reads a message (the template when the event
    has one, else the first lines with placeholders); its type is the SDK's choice ("Error", or none)."""
    if data["logentry"].get("message"):
        return _message_part(data)
    lines = [line.strip() for line in exception["value"].strip().splitlines() if line.strip()][:MESSAGE_LINES]
    return "message: " + placeholders("\n".join(lines)[:MESSAGE_CHARS])


def _message_part(data: dict) -> str:
    template = data["logentry"].get("message") if data["logentry"] else ""
    source = template or data["message"]
    lines = [line.strip() for line in source.strip().splitlines() if line.strip()][:MESSAGE_LINES]
    return "message: " + placeholders("\n".join(lines)[:MESSAGE_CHARS])


def default_key(data: dict) -> GroupingKey:
    """The key from the event's own content (no fingerprint): stack trace, else exception, else message."""
    exceptions = data["exception"]["values"]
    if exceptions:
        frame_part = None
        if any(exception["stacktrace"]["frames"] for exception in exceptions):
            frame_part = _js_frame_part if data["platform"] in _JS_PLATFORMS else _frame_part
        parts = _group_parts(data, exceptions, frame_part)
        if parts is None:
            parts = [part for exception in exceptions for part in _exception_parts(data, exception, frame_part)]
        return GroupingKey(VERSION, "exception" if frame_part is None else "stacktrace", tuple(parts))
    if data["message"] or data["logentry"]:
        return GroupingKey(VERSION, "message", (_message_part(data),))
    return GroupingKey(VERSION, "empty", ("empty: no exception and no message",))


def grouping_key(data: dict) -> GroupingKey:
    """The key that decides the issue of the normalised event `data` (which is not changed)."""
    return with_fingerprint(data["fingerprint"], default_key(data))
