"""The stored event (docs/event-format.md) turned into what the issue page shows.

Digest promises the documented shape, but the payload is still untrusted client text that went through many
hands, so every read here checks its type and falls back to empty: a malformed event shows less, never a 500.
Nothing here marks text safe; the templates escape all of it.
"""

from urllib.parse import urlsplit

import orjson


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return display(value)


def display(value) -> str:
    """A value as one readable string: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2 if isinstance(value, dict | list) else 0).decode()
    except TypeError:
        return repr(value)


def link_url(url) -> str:
    """`url` when it is safe to make a link of (http or https with a host), else "" (shown as text only)."""
    if not isinstance(url, str):
        return ""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def _frame(raw: dict) -> dict:
    lineno = raw.get("lineno") if isinstance(raw.get("lineno"), int) else None
    pre = [_text(line) for line in _list(raw.get("pre_context"))]
    post = [_text(line) for line in _list(raw.get("post_context"))]
    context = []
    if raw.get("context_line") is not None:
        first = (lineno or len(pre) + 1) - len(pre)
        lines = [*pre, _text(raw.get("context_line")), *post]
        context = [(first + i, line, i == len(pre)) for i, line in enumerate(lines)]
    return {
        "filename": _text(raw.get("filename")) or _text(raw.get("abs_path")) or _text(raw.get("module")),
        "function": _text(raw.get("function")),
        "module": _text(raw.get("module")),
        "lineno": lineno,
        "in_app": raw.get("in_app") is True,
        "context": context,
        "vars": [(_text(name), display(value)) for name, value in _dict(raw.get("vars")).items()],
    }


def _exception(raw: dict, message: str) -> dict:
    mechanism = _dict(raw.get("mechanism"))
    frames = [_frame(_dict(frame)) for frame in _list(_dict(raw.get("stacktrace")).get("frames"))]
    synthetic = mechanism.get("synthetic") is True
    value = _text(raw.get("value"))
    return {
        # A synthetic exception is the one an SDK made to carry a message's stack (JavaScript SDKs' captureMessage):
        # its type is the SDK's, and its value the message, shown once, above.
        "synthetic": synthetic,
        "type": "" if synthetic else _text(raw.get("type")),
        "value": "" if synthetic and value.strip() == message.strip() else value,
        "module": _text(raw.get("module")),
        "mechanism": _text(mechanism.get("type")),
        "handled": mechanism.get("handled"),
        "frames": frames,
        "has_in_app": any(frame["in_app"] for frame in frames),
        # The frame shown open: where it broke, i.e. the last of the application's own frames (else the last).
        "crash_index": max((n for n, frame in enumerate(frames) if frame["in_app"]), default=len(frames) - 1),
    }


def _pairs(mapping) -> list[tuple[str, str]]:
    return [(_text(key), display(value)) for key, value in _dict(mapping).items()]


def event_view(data: dict) -> dict:
    data = _dict(data)
    request = _dict(data.get("request"))
    # Shown as Python does: the exception raised last first, then what it was caused by ("during handling of").
    message = _text(data.get("message"))
    exceptions = [
        _exception(_dict(raw), message) for raw in reversed(_list(_dict(data.get("exception")).get("values")))
    ]
    url = _text(request.get("url"))
    request_view = None
    if request:
        request_view = {
            "method": _text(request.get("method")),
            "url": url,
            "link": link_url(url),
            "query_string": _text(request.get("query_string")),
            "headers": _pairs(request.get("headers")),
            "cookies": _pairs(request.get("cookies")),
            "data": display(request.get("data")) if request.get("data") not in (None, "", {}, []) else "",
        }
    user = _dict(data.get("user"))
    logentry = _dict(data.get("logentry"))
    return {
        "event_id": _text(data.get("event_id")),
        "timestamp": _text(data.get("timestamp")),
        "level": _text(data.get("level")),
        "platform": _text(data.get("platform")),
        "logger": _text(data.get("logger")),
        "transaction": _text(data.get("transaction")),
        "server_name": _text(data.get("server_name")),
        "release": _text(data.get("release")),
        "environment": _text(data.get("environment")),
        "message": message,
        "template": _text(logentry.get("message")),
        "params": [display(param) for param in _list(logentry.get("params"))],
        "exceptions": exceptions,
        "breadcrumbs": [
            {
                "timestamp": _text(crumb.get("timestamp")),
                "type": _text(crumb.get("type")),
                "category": _text(crumb.get("category")),
                "level": _text(crumb.get("level")),
                "message": _text(crumb.get("message")),
                "data": _pairs(crumb.get("data")),
            }
            for crumb in map(_dict, _list(_dict(data.get("breadcrumbs")).get("values")))
        ],
        "request": request_view,
        "user": [
            (key, value, link_url(value) if key in ("url", "avatar_url", "homepage") else "")
            for key, value in _pairs(user)
        ],
        "tags": [
            (_text(pair[0]), _text(pair[1]))
            for pair in _list(data.get("tags"))
            if isinstance(pair, list | tuple) and len(pair) == 2
        ],
        "contexts": [(_text(name), _pairs(values)) for name, values in _dict(data.get("contexts")).items()],
        "extra": _pairs(data.get("extra")),
        "fingerprint": [_text(part) for part in _list(data.get("fingerprint"))],
        "sdk": " ".join(filter(None, (_text(_dict(data.get("sdk")).get(key)) for key in ("name", "version")))),
        "notes": [
            {"path": _text(note.get("path")), "note": _text(note.get("note"))}
            for note in map(_dict, _list(_dict(data.get("_meta")).get("notes")))
        ],
    }
