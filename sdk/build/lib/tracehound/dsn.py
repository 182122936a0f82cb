"""Parse a DSN: ``http(s)://<public_key>@<host>[:port][/<prefix>]/<project_id>``."""

from __future__ import annotations

from urllib.parse import urlsplit

from .consts import USER_AGENT


class InvalidDsn(ValueError):
    pass


class Dsn:
    __slots__ = ("raw", "scheme", "public_key", "host", "port", "path_prefix", "project_id")

    def __init__(self, raw, scheme, public_key, host, port, path_prefix, project_id):
        self.raw = raw
        self.scheme = scheme
        self.public_key = public_key
        self.host = host
        self.port = port
        self.path_prefix = path_prefix
        self.project_id = project_id

    @classmethod
    def parse(cls, value) -> Dsn:
        if isinstance(value, Dsn):
            return value
        if not isinstance(value, str) or not value.strip():
            raise InvalidDsn("the DSN is empty")
        raw = value.strip()
        try:
            parts = urlsplit(raw)
            port = parts.port
        except ValueError as exc:
            raise InvalidDsn("the DSN is not a URL: %s" % exc) from None
        if parts.scheme not in ("http", "https"):
            raise InvalidDsn("the DSN scheme must be http or https, not %r" % parts.scheme)
        if not parts.username:
            raise InvalidDsn("the DSN has no public key (the part before '@')")
        if not parts.hostname:
            raise InvalidDsn("the DSN has no host")
        path = parts.path.rstrip("/")
        prefix, _, project_id = path.rpartition("/")
        if not project_id.isdigit():
            raise InvalidDsn("the DSN must end with a numeric project id, got %r" % (project_id or path))
        if port is None:
            port = 443 if parts.scheme == "https" else 80
        return cls(raw, parts.scheme, parts.username, parts.hostname, port, prefix, project_id)

    @property
    def netloc(self) -> str:
        host = "[%s]" % self.host if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else "%s:%d" % (host, self.port)

    @property
    def envelope_path(self) -> str:
        return "%s/api/%s/envelope/" % (self.path_prefix, self.project_id)

    @property
    def envelope_url(self) -> str:
        return "%s://%s%s" % (self.scheme, self.netloc, self.envelope_path)

    def auth_header(self) -> str:
        return "Sentry sentry_version=7, sentry_key=%s, sentry_client=%s" % (self.public_key, USER_AGENT)

    def __str__(self) -> str:
        return self.raw

    def __repr__(self) -> str:
        return "<Dsn %s project=%s>" % (self.envelope_url, self.project_id)
