"""Turn arbitrary Python values into small, JSON-ready copies, and scrub secrets.

``capture_value`` runs on the caller's thread (locals must be copied before the frame moves on), so it
is written for speed: plain scalars are returned as they are, containers are copied with depth and
breadth limits, everything else becomes a capped ``repr``. It never raises: a ``__repr__`` that raises
gives a marker, cycles give a marker, a dict changed during iteration gives a marker.
"""

from __future__ import annotations

import json
import math

from .consts import FILTERED, MAX_BREADTH, MAX_DEPTH, MAX_STRING_LENGTH, MAX_VARS_PER_FRAME, SECRET_KEY_PARTS

_NoneType = type(None)
_secret_cache: dict = {}


def is_secret_key(key) -> bool:
    """True when ``key`` contains one of the secret-looking words (case-insensitive substring)."""
    try:
        return _secret_cache[key]
    except KeyError:
        pass
    except TypeError:  # unhashable
        return False
    lowered = key.lower() if isinstance(key, str) else ""
    result = any(part in lowered for part in SECRET_KEY_PARTS)
    if len(_secret_cache) > 4096:
        _secret_cache.clear()
    _secret_cache[key] = result
    return result


def cap_string(value: str, limit: int = MAX_STRING_LENGTH) -> str:
    if len(value) <= limit:
        return value
    return value[:limit] + "..."


def safe_repr(value, limit: int = MAX_STRING_LENGTH) -> str:
    t = type(value)
    if t is bytes or t is bytearray:
        # Never repr a 50 MB bytes object whole: cut first, then repr.
        if len(value) > limit:
            return repr(value[:limit]) + "...(%d bytes)" % len(value)
        return repr(value)
    if t is memoryview:
        return "<memoryview of %d bytes>" % value.nbytes
    if getattr(t, "__name__", "").endswith("QuerySet") and getattr(value, "_result_cache", 1) is None:
        # repr() of an unevaluated Django QuerySet runs a query; name it instead.
        return "<%s (unevaluated)>" % t.__name__
    try:
        text = repr(value)
    except BaseException:  # noqa: B902 - a hostile __repr__ must not escape
        try:
            return "<unrepresentable %s>" % t.__name__
        except BaseException:
            return "<unrepresentable>"
    if type(text) is not str:
        return "<unrepresentable %s>" % t.__name__
    return cap_string(text, limit)


_SEQUENCES = (list, tuple, set, frozenset)
_INT_MIN = -(2**63)
_INT_MAX = 2**63


def capture_value(value, depth: int = 0, _seen=None):
    """Return a JSON-ready copy of ``value`` with every limit applied; never raises.

    Scalars are returned as they are (strings cut), containers copied up to ``MAX_DEPTH`` levels and
    ``MAX_BREADTH`` items, anything else becomes a capped repr. Scalars inside containers are handled
    inline: a Python call per value is most of the cost, and this runs on the caller's thread."""
    t = type(value)
    if t is str:
        return value if len(value) <= MAX_STRING_LENGTH else value[:MAX_STRING_LENGTH] + "..."
    if t is int:
        return value if _INT_MIN <= value < _INT_MAX else safe_repr(value)
    if t is bool or t is _NoneType:
        return value
    if t is float:
        return value if value - value == 0.0 else repr(value)  # nan and inf give nan here
    if t is dict:
        if depth >= MAX_DEPTH:
            return "<dict with %d items>" % len(value)
        return _copy_dict(value, depth, _seen)
    if t in _SEQUENCES:
        if depth >= MAX_DEPTH:
            return "<%s with %d items>" % (t.__name__, len(value))
        return _copy_sequence(value, depth, _seen)
    return safe_repr(value)


def _copy_dict(value, depth, _seen):
    vid = id(value)
    if _seen is None:
        _seen = {vid}
    elif vid in _seen:
        return "<cycle dict>"
    else:
        _seen.add(vid)
    out = {}
    secret = _secret_cache
    try:
        for k, v in value.items():
            if len(out) >= MAX_BREADTH:
                out["..."] = "%d more items" % (len(value) - MAX_BREADTH)
                break
            key = k if type(k) is str else safe_repr(k, 100)
            is_secret = secret.get(key)
            if is_secret is None:
                is_secret = is_secret_key(key)
            if is_secret:
                out[key] = FILTERED
                continue
            tv = type(v)
            if tv is str:
                out[key] = v if len(v) <= MAX_STRING_LENGTH else v[:MAX_STRING_LENGTH] + "..."
            elif tv is bool or tv is _NoneType or (tv is int and _INT_MIN <= v < _INT_MAX):
                out[key] = v
            else:
                out[key] = capture_value(v, depth + 1, _seen)
        return out
    except RuntimeError:
        return "<dict changed during capture>"
    except BaseException:
        return safe_repr(value)
    finally:
        _seen.discard(vid)


def _copy_sequence(value, depth, _seen):
    vid = id(value)
    if _seen is None:
        _seen = {vid}
    elif vid in _seen:
        return "<cycle %s>" % type(value).__name__
    else:
        _seen.add(vid)
    out = []
    append = out.append
    try:
        for v in value:
            if len(out) >= MAX_BREADTH:
                append("...%d more items" % (len(value) - MAX_BREADTH))
                break
            tv = type(v)
            if tv is str:
                append(v if len(v) <= MAX_STRING_LENGTH else v[:MAX_STRING_LENGTH] + "...")
            elif tv is bool or tv is _NoneType or (tv is int and _INT_MIN <= v < _INT_MAX):
                append(v)
            else:
                append(capture_value(v, depth + 1, _seen))
        return out
    except RuntimeError:
        return "<%s changed during capture>" % type(value).__name__
    except BaseException:
        return safe_repr(value)
    finally:
        _seen.discard(vid)


def capture_locals(f_locals) -> dict:
    """Copy a frame's locals (capped) with secret-looking names filtered."""
    out = {}
    secret = _secret_cache
    try:
        for name, value in f_locals.items():
            if len(out) >= MAX_VARS_PER_FRAME:
                break
            if name[:2] == "__" and name[-2:] == "__":  # module frames: __builtins__, __loader__, ...
                continue
            is_secret = secret.get(name)
            if is_secret is None:
                is_secret = is_secret_key(name)
            if is_secret:
                out[name] = FILTERED
                continue
            t = type(value)
            if t is str:
                out[name] = value if len(value) <= MAX_STRING_LENGTH else value[:MAX_STRING_LENGTH] + "..."
            elif t is bool or t is _NoneType or (t is int and _INT_MIN <= value < _INT_MAX):
                out[name] = value
            else:
                out[name] = capture_value(value)
    except BaseException:  # locals changed under us: keep what we have
        pass
    return out


def scrub(value, depth: int = 0):
    """Filter secret-looking keys everywhere in ``value`` (in place for dicts and lists)."""
    if depth > 20:
        return value
    t = type(value)
    if t is dict:
        for key in list(value):
            if isinstance(key, str) and is_secret_key(key):
                value[key] = FILTERED
            else:
                value[key] = scrub(value[key], depth + 1)
    elif t is list:
        for i, item in enumerate(value):
            value[i] = scrub(item, depth + 1)
    return value


def scrub_query_string(query: str) -> str:
    if not query:
        return query
    parts = []
    for pair in query.split("&"):
        name, sep, _ = pair.partition("=")
        parts.append(name + sep + FILTERED if sep and is_secret_key(name) else pair)
    return "&".join(parts)


def _json_default(value):
    return safe_repr(value)


def to_json_bytes(obj) -> bytes:
    """Serialise an event; any value JSON cannot take is replaced, never raising for hostile input."""
    try:
        text = json.dumps(obj, allow_nan=False, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    except (ValueError, TypeError, RecursionError):
        text = json.dumps(
            capture_value_deep(obj),
            allow_nan=False,
            ensure_ascii=False,
            separators=(",", ":"),
            default=_json_default,
        )
    return text.encode("utf-8", "replace")


def capture_value_deep(value, depth: int = 0, _seen=None):
    """Like ``capture_value`` without breadth limits, for whole events that failed to serialise."""
    t = type(value)
    if t is float:
        return value if math.isfinite(value) else repr(value)
    if t is str or t is int or t is bool or t is _NoneType:
        return value if t is not int or -(2**63) <= value < 2**63 else safe_repr(value)
    if depth > 30:
        return safe_repr(value)
    if _seen is None:
        _seen = set()
    if isinstance(value, (dict, list, tuple)):
        if id(value) in _seen:
            return "<cycle>"
        _seen.add(id(value))
        try:
            if isinstance(value, dict):
                return {
                    (k if type(k) is str else safe_repr(k, 100)): capture_value_deep(v, depth + 1, _seen)
                    for k, v in list(value.items())
                }
            return [capture_value_deep(v, depth + 1, _seen) for v in list(value)]
        except BaseException:
            return safe_repr(value)
        finally:
            _seen.discard(id(value))
    return safe_repr(value)
