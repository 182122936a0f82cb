"""Grouping version 2026-12, in the making: it may change until it is released (tests/issues/grouping_cases hold
its keys); from then on it is frozen like 2026-11.

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

JavaScript events (platform "javascript" or "node") read their frames by their own rules (`_js_frame_part`):
- the module is the SDK's module name, else the script's URL path (no scheme, host, query string or fragment:
  `?v=3.1.0` and the CDN's host change with deploys, the code does not), else the file's basename; content
  hashes that bundlers put in file names (`main.3f9a8c1b.js`, `index-BvB7Ct2q.js`), UUIDs and version directories
  are placeholders;
- the function name without what the runtime adds: the receiver (`Object.`, `HTMLButtonElement.`, which name the
  object the function ran on, not the function), `async `, `new `, ` [as alias]`;
- frames without a name (anonymous functions: engines infer names differently, and a loop rewritten as a
  `forEach` callback is the same code) or without a file (`<anonymous>`, `[native code]`: the engine's own
  functions, which some browsers list and others do not) do not contribute; when no frame of an exception does,
  its value does (with placeholders), so that unrelated errors of one type stay apart.
A synthetic exception (`mechanism.synthetic`: the exception an SDK makes to carry the stack of a message, or of a
thrown string) contributes its message instead of its type (`_synthetic_part`): two messages sent from one function
are two issues, as they are without a stack.
"""

import re
from functools import lru_cache

from issues.grouping.key import GroupingKey

VERSION = "2026-12"
MESSAGE_LINES = 3
MESSAGE_CHARS = 500

_DEFAULT_PLACEHOLDER = re.compile(r"^\s*\{\{\s*default\s*\}\}\s*$", re.IGNORECASE)

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
def _generated_names_normalised(name: str) -> str:
    for pattern, replacement in _GENERATED_NAME_PARTS:
        name = pattern.sub(replacement, name)
    return name


def _frame_part(frame: dict) -> str:
    where = frame["module"]
    if not where:
        path = frame["filename"] or frame["abs_path"]
        where = re.split(r"[/\\]", path)[-1] if path else "?"
    return f"frame: {_generated_names_normalised(where)} {_generated_names_normalised(frame['function'] or '?')}"


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
def _js_frame_part_of(module: str, path: str, function: str) -> str | None:
    name = js_function_name(function)
    if not name or path.strip() in _JS_NO_FILE:
        return None
    if module:
        # As the SDK sent it ("shop:stock"), less a query string it kept ("shop:prices.mjs?v=1")
        where = _js_hashes_normalised(module.split("#", 1)[0].split("?", 1)[0])
    else:
        where = js_path_module(path) if path else "?"
    return f"frame: {where} {_generated_names_normalised(name)}"


def _js_frame_part(frame: dict) -> str | None:
    """A JavaScript frame's part, None when the frame does not contribute (see the module's docstring)."""
    return _js_frame_part_of(frame["module"], frame["abs_path"] or frame["filename"], frame["function"])


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
    javascript = data["platform"] in _JS_PLATFORMS
    frame_part = _js_frame_part if javascript else _frame_part
    if any(exception["stacktrace"]["frames"] for exception in exceptions):
        parts = []
        for exception in exceptions:
            synthetic = exception["mechanism"].get("synthetic") is True
            parts.append(_synthetic_part(data, exception) if synthetic else f"type: {exception['type'] or '?'}")
            frames = exception["stacktrace"]["frames"]
            in_app = [frame for frame in frames if frame["in_app"]]
            frame_parts = [part for part in map(frame_part, in_app or frames) if part]
            parts.extend(frame_parts)
            if frames and not frame_parts and not synthetic:
                parts.append("value: " + placeholders(exception["value"].strip()[:MESSAGE_CHARS]))
        return GroupingKey(VERSION, "stacktrace", tuple(parts))
    if exceptions:
        parts = []
        for exception in exceptions:
            if exception["mechanism"].get("synthetic") is True:
                parts.append(_synthetic_part(data, exception))
                continue
            parts.append(f"type: {exception['type'] or '?'}")
            parts.append("value: " + placeholders(exception["value"].strip()[:MESSAGE_CHARS]))
        return GroupingKey(VERSION, "exception", tuple(parts))
    if data["message"] or data["logentry"]:
        return GroupingKey(VERSION, "message", (_message_part(data),))
    return GroupingKey(VERSION, "empty", ("empty: no exception and no message",))


def grouping_key(data: dict) -> GroupingKey:
    """The key that decides the issue of the normalised event `data` (which is not changed)."""
    fingerprint = data["fingerprint"]
    default = default_key(data)
    if not fingerprint:
        return default
    parts: list[str] = []
    expanded = []
    for item in fingerprint:
        if _DEFAULT_PLACEHOLDER.match(item):
            parts.extend(default.parts)
            expanded.append(default.hash)
        else:
            parts.append(f"fingerprint: {item}")
            expanded.append(item)
    if list(parts) == list(default.parts):
        # ["{{ default }}"] alone is the default grouping, and must land in the same issue
        return GroupingKey(VERSION, default.kind, default.parts, tuple(expanded))
    return GroupingKey(VERSION, "fingerprint", tuple(parts), tuple(expanded))
