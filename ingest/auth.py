"""Where a request names its DSN key: the X-Sentry-Auth header, the `sentry_key` query parameter, or the `dsn`
in the envelope header (browser SDKs behind a tunnel). The project always comes from the URL."""

import re
from urllib.parse import parse_qs, urlsplit

from ingest.errors import Unauthorized

PUBLIC_KEY = re.compile(r"[0-9a-fA-F]{32}")


def _checked(key: str) -> str:
    if not PUBLIC_KEY.fullmatch(key):
        raise Unauthorized("malformed sentry_key")
    return key.lower()


def key_from_request(auth_header: str | None, query_string: bytes) -> str | None:
    """The public key named by the request line or headers; None when neither names one."""
    if auth_header is not None:
        scheme, _, params = auth_header.strip().partition(" ")
        if scheme.lower() != "sentry":
            raise Unauthorized("X-Sentry-Auth must start with 'Sentry '")
        for param in params.split(","):
            name, _, value = param.strip().partition("=")
            if name == "sentry_key":
                return _checked(value.strip())
        raise Unauthorized("X-Sentry-Auth without sentry_key")
    if query_string:
        values = parse_qs(query_string.decode("latin-1")).get("sentry_key")
        if values:
            return _checked(values[0])
    return None


def key_from_dsn(dsn) -> str:
    if not isinstance(dsn, str):
        raise Unauthorized("no sentry_key in X-Sentry-Auth, the query string or the envelope header")
    try:
        username = urlsplit(dsn).username
    except ValueError:
        username = None
    if not username:
        raise Unauthorized("the envelope header's dsn names no key")
    return _checked(username)
