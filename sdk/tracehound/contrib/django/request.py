"""Request data for events, built only when an event is captured during a request."""

from __future__ import annotations

from django.utils.functional import LazyObject, empty

from tracehound.serialize import cap_string

from .settings import get

_EXTRA_HEADERS = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}


def _headers(meta) -> dict:
    headers = {}
    for key, value in list(meta.items()):
        if key.startswith("HTTP_"):
            name = "-".join(part.capitalize() for part in key[5:].split("_"))
        elif key in _EXTRA_HEADERS:
            name = _EXTRA_HEADERS[key]
        else:
            continue
        headers[name] = cap_string(str(value), 1024)
    return headers


def send_pii(client) -> bool:
    """The client's ``send_default_pii`` option, or ``TRACEHOUND["SEND_DEFAULT_PII"]`` in settings."""
    if client.send_default_pii:
        return True
    try:
        return bool(get("SEND_DEFAULT_PII"))
    except Exception:
        return False


def request_from_record(value, client):
    """The request of a ``django.request`` log record (Django puts the HttpRequest in ``record.request``), or
    None for anything else. The app and the middleware register it with the core."""
    if not hasattr(value, "META"):
        return None
    return request_data(value, send_pii(client))


def request_data(request, send_default_pii: bool) -> dict:
    meta = request.META
    try:
        url = "%s://%s%s" % (request.scheme, request.get_host(), request.path)
    except Exception:  # DisallowedHost and friends: still report the error
        url = "%s://%s%s" % (meta.get("wsgi.url_scheme", "http"), meta.get("SERVER_NAME", ""), request.path)
    data = {
        "method": request.method,
        "url": cap_string(url, 2048),
        "query_string": cap_string(meta.get("QUERY_STRING", ""), 2048),
        "headers": _headers(meta),
        "env": {"SERVER_NAME": meta.get("SERVER_NAME"), "SERVER_PORT": meta.get("SERVER_PORT")},
    }
    if send_default_pii:
        data["env"]["REMOTE_ADDR"] = meta.get("REMOTE_ADDR")
        user = user_data(request)
        if user:
            data["_user"] = user
    else:
        data["headers"].pop("Cookie", None)
    return data


def user_data(request):
    """The user, if ``request.user`` was already loaded during the request. Never loads it: that is a
    session and database lookup, I/O the capture must not do (and it fails in a broken transaction)."""
    user = getattr(request, "user", None)
    try:
        if isinstance(user, LazyObject) and user._wrapped is empty:
            return None
        if user is None or not user.is_authenticated:
            return None
        data = {"id": str(user.pk)}
        username = user.get_username()
        if username:
            data["username"] = username
        email = getattr(user, "email", None)
        if email:
            data["email"] = email
        return data
    except Exception:
        return None
