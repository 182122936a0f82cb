"""From any event shape the Sentry protocol allows to the one stored shape (docs/event-format.md).

Input is untrusted JSON: every field may be missing, of the wrong type, huge, or hostile. Each reader below
coerces instead of rejecting, so a malformed field costs that field, never the event. Trimming follows Relay's
limits and scrubbing happens in the same walk; everything cut or corrected is recorded in `_meta.notes`.
"""

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

from issues.databag import MAX_STRING, Notes, clean_bag, clean_bags, cut
from issues.scrub import FILTERED, is_secret_key, scrub_text, scrub_texts

MAX_FRAMES = 250
# Frames beyond this many (counted from both ends, half each) lose their locals and source context.
MAX_FRAMES_WITH_DATA = 50
MAX_BREADCRUMBS = 100
MAX_TAGS = 100
MAX_MESSAGE = 8192
MAX_TAG = 200
MAX_SHORT = 64  # logger, environment
MAX_NAME = 200  # release, transaction, server name, user fields, frame names
MAX_PATH = 1024
MAX_EXCEPTIONS = 20
# Thread dumps (a JVM's can hold hundreds) keep their first threads; frames are trimmed per stack as above.
MAX_THREADS = 50
IP_HEADERS = {"x-forwarded-for", "x-real-ip", "forwarded"}
FUTURE_TOLERANCE = timedelta(seconds=60)

LEVELS = ("fatal", "error", "warning", "info", "debug")  # an event's level, the most severe first
LEVEL_ALIASES = {"critical": "fatal", "warn": "warning", "log": "info", "notset": "info", "trace": "debug"}

_EPOCH_MIN = 0.0
_EPOCH_MAX = 32503680000.0  # year 3000: anything later is not a timestamp a client meant


def text(value, limit: int = MAX_STRING) -> str:
    """Any JSON value as a string of at most `limit` characters ("" for null)."""
    if type(value) is str:
        return value if len(value) <= limit else cut(value, limit)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return cut(str(value), limit)


def _lines(lines: list) -> list[str]:
    """Source lines as strings of at most MAX_STRING characters (usually already so: then the list itself)."""
    if all(type(line) is str and len(line) <= MAX_STRING for line in lines):
        return lines
    return [text(line) for line in lines]


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def values_of(value) -> list:
    """The items of a Sentry list field, sent either as a list or as {"values": [...]}."""
    if isinstance(value, dict):
        value = value.get("values")
    return value if isinstance(value, list) else []


def pairs_of(value) -> list[tuple]:
    """Key/value pairs from a dict, a list of [key, value] pairs, or a list of {"key", "value"} objects."""
    if isinstance(value, dict):
        return list(value.items())
    pairs = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, list | tuple) and len(item) == 2:
                pairs.append((item[0], item[1]))
            elif isinstance(item, dict) and "key" in item:
                pairs.append((item.get("key"), item.get("value")))
    return pairs


def parse_timestamp(value) -> datetime | None:
    """RFC 3339 text or seconds since the epoch (number or numeric text) as an aware UTC datetime; None if neither."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        stripped = value.strip()
        try:
            value = float(stripped)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(stripped)
            except ValueError:
                return None
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if isinstance(value, int | float) and _EPOCH_MIN <= value <= _EPOCH_MAX:
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def rfc3339(moment: datetime) -> str:
    # isoformat rather than strftime: a third of the cost, and events carry a hundred breadcrumb timestamps.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_timestamp(value) -> str:
    """`value` as RFC 3339 UTC text with microseconds ("" when unreadable)."""
    if type(value) is str and len(value) == 27 and value[10] == "T" and value[-1] == "Z":
        # Already in the canonical form (what sentry-sdk sends for breadcrumbs): validate, keep the text.
        try:
            datetime.fromisoformat(value)
            return value
        except ValueError:
            return ""
    moment = parse_timestamp(value)
    return rfc3339(moment) if moment else ""


def level_of(value) -> str:
    if type(value) is str and value in LEVELS:
        return value
    level = text(value, 16).lower().strip()
    level = LEVEL_ALIASES.get(level, level)
    return level if level in LEVELS else "error"


def _small_int(value) -> int | None:
    return value if type(value) is int and 0 <= value < 2**31 else None


def _flag(value) -> bool | None:
    return value if isinstance(value, bool) else None


def _format_message(template: str, params) -> str:
    if not params:
        return template
    try:
        return template % (params if isinstance(params, dict) else tuple(params))
    except (TypeError, ValueError, KeyError, OverflowError):
        return template


def _message(raw: dict) -> tuple[str, dict]:
    """The formatted message and the unformatted {"message", "params"}, from `message` and/or `logentry`."""
    entry = raw.get("logentry")
    if not isinstance(entry, dict):
        entry = raw.get("sentry.interfaces.Message")
    message = raw.get("message")
    if isinstance(message, dict) and not isinstance(entry, dict):
        entry, message = message, None
    formatted = ""
    logentry = {}
    if isinstance(entry, dict):
        template = text(entry.get("message"), MAX_MESSAGE)
        params = entry.get("params")
        params = params if isinstance(params, list | dict) else []
        formatted = text(entry.get("formatted"), MAX_MESSAGE) or _format_message(template, params)
        if template:
            logentry = {"message": template, "params": params if isinstance(params, list) else [params]}
    if isinstance(message, str | int | float) and not isinstance(message, bool) and not formatted:
        formatted = text(message, MAX_MESSAGE)
    return cut(formatted, MAX_MESSAGE), logentry


def _breadcrumb(crumb: dict, message: str, data) -> dict:
    # The common case (short strings, a known level) is read inline: an event carries a hundred breadcrumbs.
    kind, category, level = crumb.get("type"), crumb.get("category"), crumb.get("level")
    return {
        "timestamp": canonical_timestamp(crumb.get("timestamp")),
        "type": (kind if type(kind) is str and len(kind) <= MAX_SHORT else text(kind, MAX_SHORT)) or "default",
        "category": category if type(category) is str and len(category) <= MAX_NAME else text(category, MAX_NAME),
        "level": "info" if level is None else level_of(level),
        "message": message,
        "data": data,
    }


class Normalizer:
    """Normalises one event; `notes` collects what was trimmed, filtered or corrected."""

    def __init__(self, *, scrub_ip_addresses: bool):
        self.notes = Notes()
        self.scrub_ip_addresses = scrub_ip_addresses

    def scrubbed(self, value, limit: int = MAX_STRING) -> str:
        return scrub_text(text(value, limit))

    def bag(self, value, path: str, *, scrub: bool = True):
        return clean_bag(value, path=path, notes=self.notes, scrub=scrub)

    def event(self, raw: dict, *, event_id: str, received_at: datetime, retention: timedelta) -> dict:
        message, logentry = _message(raw)
        return {
            "event_id": event_id,
            "timestamp": rfc3339(self.timestamp(raw.get("timestamp"), received_at, retention)),
            "received": rfc3339(received_at),
            "platform": text(raw.get("platform"), MAX_SHORT) or "other",
            "level": level_of(raw.get("level")),
            "logger": text(raw.get("logger"), MAX_SHORT),
            "transaction": text(raw.get("transaction") or raw.get("culprit"), MAX_NAME),
            "server_name": text(raw.get("server_name"), MAX_NAME),
            "release": text(raw.get("release"), MAX_NAME),
            "environment": text(raw.get("environment"), MAX_SHORT),
            "message": scrub_text(message),
            "logentry": self.bag(logentry, "logentry") if logentry else {},
            "exception": {"values": self.exceptions(raw.get("exception") or raw.get("sentry.interfaces.Exception"))},
            # Where a message was sent from: sentry-sdk's attach_stacktrace puts the stack in a thread, older
            # clients in a top-level stacktrace.
            "threads": {"values": self.threads(raw.get("threads"))},
            "stacktrace": {
                "frames": self.frames(raw.get("stacktrace") or raw.get("sentry.interfaces.Stacktrace"), "stacktrace")
            },
            "breadcrumbs": {"values": self.breadcrumbs(raw.get("breadcrumbs"))},
            "request": self.request(raw.get("request") or raw.get("sentry.interfaces.Http")),
            "user": self.user(raw.get("user") or raw.get("sentry.interfaces.User")),
            "tags": self.tags(raw.get("tags")),
            "contexts": self.contexts(raw.get("contexts")),
            "extra": self.bag(as_dict(raw.get("extra")), "extra"),
            "fingerprint": [text(part, MAX_NAME) for part in raw.get("fingerprint") or [] if part is not None]
            if isinstance(raw.get("fingerprint"), list)
            else [],
            "sdk": {
                "name": text(as_dict(raw.get("sdk")).get("name"), MAX_SHORT),
                "version": text(as_dict(raw.get("sdk")).get("version"), MAX_SHORT),
            },
            "_meta": {"notes": self.notes.items},
        }

    def timestamp(self, value, received_at: datetime, retention: timedelta) -> datetime:
        moment = parse_timestamp(value)
        if moment is None:
            if value is not None:
                self.notes.add("timestamp", "unreadable timestamp: the received time is shown")
            return received_at
        if moment > received_at + FUTURE_TOLERANCE:
            self.notes.add("timestamp", f"{rfc3339(moment)} is in the future: the received time is shown")
            return received_at
        if moment < received_at - retention:
            self.notes.add("timestamp", f"{rfc3339(moment)} is older than retention: the received time is shown")
            return received_at
        return moment

    def exceptions(self, value) -> list[dict]:
        if isinstance(value, dict) and "values" not in value and ("type" in value or "value" in value):
            value = [value]  # a single exception object, as some old clients send
        items = [item for item in values_of(value) if isinstance(item, dict)]
        if len(items) > MAX_EXCEPTIONS:
            self.notes.add("exception.values", f"kept the last {MAX_EXCEPTIONS} of {len(items)} chained exceptions")
            items = items[-MAX_EXCEPTIONS:]
        result = []
        for index, item in enumerate(items):
            mechanism = as_dict(item.get("mechanism"))
            result.append(
                {
                    "type": text(item.get("type"), MAX_NAME),
                    "value": self.scrubbed(item.get("value"), MAX_MESSAGE),
                    "module": text(item.get("module"), MAX_NAME),
                    "mechanism": {
                        "type": text(mechanism.get("type"), MAX_SHORT),
                        "handled": _flag(mechanism.get("handled")),
                        # An exception group and its children name each other by these ids (grouping uses them).
                        "is_exception_group": mechanism.get("is_exception_group") is True,
                        "exception_id": _small_int(mechanism.get("exception_id")),
                        "parent_id": _small_int(mechanism.get("parent_id")),
                        # A stack the SDK attached to a message, not an exception the program raised.
                        "synthetic": mechanism.get("synthetic") is True,
                    },
                    "stacktrace": {
                        "frames": self.frames(item.get("stacktrace"), f"exception.values.{index}.stacktrace")
                    },
                }
            )
        return result

    def threads(self, value) -> list[dict]:
        items = [item for item in values_of(value) if isinstance(item, dict)]
        if len(items) > MAX_THREADS:
            self.notes.add("threads.values", f"kept the first {MAX_THREADS} of {len(items)} threads")
            items = items[:MAX_THREADS]
        return [
            {
                "id": text(item.get("id"), MAX_NAME),
                "name": text(item.get("name"), MAX_NAME),
                "crashed": _flag(item.get("crashed")),
                "current": _flag(item.get("current")),
                "stacktrace": {"frames": self.frames(item.get("stacktrace"), f"threads.values.{index}.stacktrace")},
            }
            for index, item in enumerate(items)
        ]

    def frames(self, stacktrace, path: str) -> list[dict]:
        """The frames of the stack trace at `path` (where notes point), trimmed like Relay, locals scrubbed."""
        frames = [frame for frame in as_dict(stacktrace).get("frames") or [] if isinstance(frame, dict)]
        if len(frames) > MAX_FRAMES:
            self.notes.add(f"{path}.frames", f"kept the newest {MAX_FRAMES} of {len(frames)} frames")
            frames = frames[-MAX_FRAMES:]
        count = len(frames)
        half = MAX_FRAMES_WITH_DATA // 2
        if count > MAX_FRAMES_WITH_DATA:
            self.notes.add(
                f"{path}.frames",
                f"removed locals and surrounding source lines of {count - MAX_FRAMES_WITH_DATA} middle frames "
                "(in-app frames keep their own line, which grouping reads)",
            )
        result = []
        for index, frame in enumerate(frames):
            with_data = count <= MAX_FRAMES_WITH_DATA or index < half or index >= count - half
            lineno, colno = frame.get("lineno"), frame.get("colno")
            in_app = frame.get("in_app")
            item = {
                "filename": text(frame.get("filename"), MAX_PATH),
                "abs_path": text(frame.get("abs_path"), MAX_PATH),
                "module": text(frame.get("module"), MAX_NAME),
                "function": text(frame.get("function"), MAX_NAME),
                "lineno": lineno if isinstance(lineno, int) and not isinstance(lineno, bool) else None,
                "colno": colno if isinstance(colno, int) and not isinstance(colno, bool) else None,
                "in_app": in_app is True,
                "context_line": None,
                "pre_context": [],
                "post_context": [],
                "vars": {},
            }
            context_line = frame.get("context_line")
            if context_line is not None and (with_data or item["in_app"]):
                item["context_line"] = text(context_line)
            if with_data:
                pre_context, post_context = frame.get("pre_context"), frame.get("post_context")
                item["pre_context"] = _lines(pre_context[-10:]) if type(pre_context) is list else []
                item["post_context"] = _lines(post_context[:10]) if type(post_context) is list else []
                frame_vars = frame.get("vars")
                if isinstance(frame_vars, dict) and frame_vars:
                    item["vars"] = self.bag(frame_vars, f"{path}.frames.{index}.vars")
            result.append(item)
        return result

    def breadcrumbs(self, value) -> list[dict]:
        crumbs = [crumb for crumb in values_of(value) if isinstance(crumb, dict)]
        if len(crumbs) > MAX_BREADCRUMBS:
            self.notes.add("breadcrumbs", f"kept the newest {MAX_BREADCRUMBS} of {len(crumbs)} breadcrumbs")
            crumbs = crumbs[-MAX_BREADCRUMBS:]
        # One bounded walk (and one size budget) for the data of all breadcrumbs: they are many and small.
        datas = clean_bags(
            [as_dict(crumb.get("data")) for crumb in crumbs], path="breadcrumbs.data", notes=self.notes, scrub=True
        )
        messages = scrub_texts([text(crumb.get("message"), MAX_MESSAGE) for crumb in crumbs])
        return [_breadcrumb(crumb, message, data) for crumb, message, data in zip(crumbs, messages, datas, strict=True)]

    def request(self, value) -> dict:
        request = as_dict(value)
        if not request:
            return {}
        headers = {}
        for key, header_value in pairs_of(request.get("headers"))[:100]:
            key = text(key, MAX_NAME)
            if is_secret_key(key) or (self.scrub_ip_addresses and key.lower() in IP_HEADERS):
                headers[key] = FILTERED
            else:
                headers[key] = self.scrubbed(header_value)
        cookies_value = request.get("cookies")
        if isinstance(cookies_value, str):
            cookies_value = [part.split("=", 1) for part in cookies_value.split(";") if "=" in part]
            cookies_value = [(name.strip(), content.strip()) for name, content in cookies_value]
        # Cookies are session and CSRF carriers by nature: their values are never kept, only their names.
        cookies = {text(name, MAX_NAME): FILTERED for name, _ in pairs_of(cookies_value)[:100]}
        env = self.bag(as_dict(request.get("env")), "request.env")
        if self.scrub_ip_addresses and "REMOTE_ADDR" in env:
            env["REMOTE_ADDR"] = FILTERED
        url = text(request.get("url"), MAX_PATH * 2)
        query = request.get("query_string")
        if not isinstance(query, str):
            query = urlencode([(text(k), text(v)) for k, v in pairs_of(query)]) if query else ""
        if "?" in url and not query:
            url, query = url.split("?", 1)
        return {
            "method": text(request.get("method"), 16).upper(),
            "url": scrub_text(url.split("?", 1)[0]),
            "query_string": self.query_string(query),
            "headers": headers,
            "cookies": cookies,
            "data": self.bag(request.get("data"), "request.data"),
            "env": env,
        }

    def query_string(self, query: str) -> str:
        query = cut(query, MAX_PATH * 2)
        pairs = parse_qsl(query, keep_blank_values=True)
        if not pairs:
            return scrub_text(query)
        return urlencode([(key, FILTERED if is_secret_key(key) else scrub_text(val)) for key, val in pairs])

    def user(self, value) -> dict:
        user = as_dict(value)
        if not user:
            return {}
        result = self.bag(user, "user")
        for field in ("id", "email", "username", "ip_address"):
            result[field] = text(result.get(field), MAX_NAME)
        if result["ip_address"] == "{{auto}}":
            result["ip_address"] = ""
        if self.scrub_ip_addresses and result["ip_address"]:
            result["ip_address"] = FILTERED
        return result

    def tags(self, value) -> list[list[str]]:
        pairs = [(key, val) for key, val in pairs_of(value) if key not in (None, "")]
        if len(pairs) > MAX_TAGS:
            self.notes.add("tags", f"kept the first {MAX_TAGS} of {len(pairs)} tags")
            pairs = pairs[:MAX_TAGS]
        tags = []
        for key, val in pairs:
            key = text(key, MAX_TAG).strip()
            if key:
                tags.append([key, FILTERED if is_secret_key(key) else scrub_text(text(val, MAX_TAG))])
        return tags

    def contexts(self, value) -> dict:
        contexts = {}
        for name, context in list(as_dict(value).items())[:50]:
            contexts[text(name, MAX_NAME)] = context if isinstance(context, dict) else {"value": context}
        return self.bag(contexts, "contexts", scrub=False)


def user_key(user: dict) -> str:
    """A stable identity of the event's user for counting distinct users: id, else email, username, IP."""
    for field in ("id", "email", "username", "ip_address"):
        value = user.get(field)
        if value and value != FILTERED:
            return f"{field}:{value}"[:200]
    return ""


def _first_line(value: str, limit: int = 200) -> str:
    return cut(value.strip().split("\n", 1)[0].strip(), limit)


def _message_stack(data: dict) -> list[dict]:
    """The stack trace a message was sent with: the top-level one, else the crashed, current or first thread's."""
    if data["stacktrace"]["frames"]:
        return data["stacktrace"]["frames"]
    threads = [thread for thread in data["threads"]["values"] if thread["stacktrace"]["frames"]]
    for wanted in ("crashed", "current"):
        for thread in threads:
            if thread[wanted]:
                return thread["stacktrace"]["frames"]
    return threads[0]["stacktrace"]["frames"] if threads else []


def crash_frame(data: dict) -> dict | None:
    """The frame the error was raised in: the last in-app frame of the last exception, else its last frame; for
    an event without exception frames, the same from the stack trace the message was sent with."""
    stacks = [exception["stacktrace"]["frames"] for exception in reversed(data["exception"]["values"])]
    for frames in [*stacks, _message_stack(data)]:
        for frame in reversed(frames):
            if frame["in_app"]:
                return frame
        if frames:
            return frames[-1]
    return None


JAVASCRIPT_PLATFORMS = frozenset({"javascript", "node"})
# What V8 and the browsers add around a function's name: "async " (an awaiting caller), "new " (a constructor),
# " [as alias]" (called through a property of another name) and the receiver ("Object.", "HTMLButtonElement.").
# Grouping version 2026-12 strips the same for its keys, with its own copy: a released version never changes,
# and the way a culprit reads may.
_JS_FUNCTION_DECORATION = re.compile(r"^(?:async |new )+|\s*\[as [^\]]*\]$")
_JS_URL = re.compile(r"^[a-z][a-z0-9+.-]*:(?:[a-z][a-z0-9+.-]*:)?//[^/]*", re.I)
_JS_NOT_A_FILE = frozenset({"", "<anonymous>", "[native code]", "native", "native code", "eval code", "<unknown>"})
_JS_ANONYMOUS = frozenset({"", "?", "<anonymous>", "anonymous", "<anonymous function>", "Anonymous function", "eval"})


@lru_cache(maxsize=4096)
def _js_function(function: str) -> str:
    name = _JS_FUNCTION_DECORATION.sub("", function.strip()).rsplit(".", 1)[-1]
    return "" if name in _JS_ANONYMOUS else name


def _js_location(frame: dict) -> str:
    """The module the SDK named (Node: "shop:stock"), else the script's URL path or the file path, all without
    query string or fragment."""
    where = frame["module"] or frame["abs_path"] or frame["filename"]
    where = where.split("#", 1)[0].split("?", 1)[0]
    url = _JS_URL.match(where)
    return where[url.end() :] or "/" if url and not where.lower().startswith("file:") else where


def javascript_culprit(data: dict) -> str:
    """`function(module)`, as JavaScript stack lines read (`at checkStock (shop/stock.mjs:12:5)`) and as
    Sentry shows JavaScript culprits: `checkStock(shop:stock)`, `onBuy(/static/js/shop.js)`. The frame is the last
    in-app one with a name and a file, the engine's own frames (`Array.forEach (<anonymous>)`) and anonymous
    callbacks skipped; the name is the function's, without the receiver the runtime prefixes ("Object.",
    "HTMLButtonElement.", which differ between events of one issue); the location has no host or query string."""
    stacks = [exception["stacktrace"]["frames"] for exception in reversed(data["exception"]["values"])]
    for frames in [*stacks, _message_stack(data)]:
        named = [
            frame
            for frame in frames
            if _js_function(frame["function"]) and (frame["abs_path"] or frame["filename"]) not in _JS_NOT_A_FILE
        ]
        chosen = next((frame for frame in reversed(named) if frame["in_app"]), named[-1] if named else None)
        if chosen:
            return f"{_js_function(chosen['function'])}({_js_location(chosen)})"
    return ""


def summary(data: dict) -> dict:
    """What an issue shows in lists: title, culprit and metadata, derived from a normalised event."""
    exceptions = data["exception"]["values"]
    frame = crash_frame(data)
    metadata = {}
    if exceptions:
        last = exceptions[-1]
        value = _first_line(last["value"])
        title = f"{last['type']}: {value}" if last["type"] and value else (last["type"] or value)
        if last["mechanism"].get("synthetic") and value:
            # The exception an SDK made to carry a message's stack: its type is the SDK's, the message is the title
            title = value
        metadata = {"type": last["type"], "value": cut(last["value"], 1024)}
    else:
        title = _first_line(data["message"]) or _first_line(data["logentry"].get("message", ""))
    if frame:
        metadata.update({"filename": frame["filename"] or frame["abs_path"], "function": frame["function"]})
        culprit = f"{frame['module'] or frame['filename'] or frame['abs_path']} in {frame['function'] or '?'}"
    else:
        culprit = data["transaction"]
    if data["platform"] in JAVASCRIPT_PLATFORMS:
        culprit = javascript_culprit(data) or culprit
    return {
        "title": cut(title, 500) or "<no message>",
        "culprit": cut(culprit, 500),
        "metadata": metadata,
    }


def normalize_event(
    raw: dict, *, event_id: str, received_at: datetime, retention: timedelta, scrub_ip_addresses: bool = False
) -> dict:
    """The stored shape of the raw event `raw` (see docs/event-format.md)."""
    if not isinstance(raw, dict):
        raw = {"message": text(raw, MAX_MESSAGE)}
    return Normalizer(scrub_ip_addresses=scrub_ip_addresses).event(
        raw, event_id=event_id, received_at=received_at, retention=retention
    )
