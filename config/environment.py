"""Reading the environment into settings, with one clear line for each mistake.

A misconfigured production process must refuse to start with a message naming the variable, not a traceback
wall: every problem found here is raised as `ConfigurationError`, which settings.py turns into `SystemExit`.
"""

from urllib.parse import urlsplit

import environ


class ConfigurationError(Exception):
    pass


POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}
REDIS_SCHEMES = {"redis", "rediss"}


def database_from_url(env: environ.Env, name: str) -> dict:
    url = env.str(name)
    parts = urlsplit(url)
    if parts.scheme in POSTGRES_SCHEMES:
        if not parts.hostname and "host=" not in parts.query:
            raise ConfigurationError(f"{name} has no host: expected postgres://USER[:PASSWORD]@HOST[:PORT]/DBNAME")
        if not parts.path.strip("/"):
            raise ConfigurationError(f"{name} has no database name: expected postgres://USER@HOST[:PORT]/DBNAME")
    elif parts.scheme != "sqlite":
        raise ConfigurationError(f"{name} must be a postgres:// (or sqlite://) URL, got scheme {parts.scheme!r}")
    try:
        _ = parts.port  # raises ValueError for a non-numeric or out-of-range port
        return env.db_url(name)
    except (ValueError, environ.ImproperlyConfigured) as error:
        raise ConfigurationError(f"{name} is not a valid database URL: {error}") from None


def redis_url(env: environ.Env, name: str) -> str:
    url = env.str(name)
    parts = urlsplit(url)
    if parts.scheme not in REDIS_SCHEMES:
        raise ConfigurationError(f"{name} must be a redis:// or rediss:// URL, got scheme {parts.scheme!r}")
    try:
        _ = parts.port
    except ValueError as error:
        raise ConfigurationError(f"{name} has an invalid port: {error}") from None
    if not parts.hostname:
        raise ConfigurationError(f"{name} has no host: expected redis://HOST[:PORT][/DB]")
    return url


def email_from_url(env: environ.Env, name: str) -> dict:
    try:
        return env.email_url(name)
    except (ValueError, KeyError, environ.ImproperlyConfigured) as error:
        raise ConfigurationError(f"{name} is not a valid email URL (smtp://USER:PASSWORD@HOST:PORT): {error}") from None


def secret_key(env: environ.Env, name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ConfigurationError(f"{name} must be set in production (50+ random characters)")
    return value
