"""Read the integration's settings and find the DSNs configured for the logging handler."""

from __future__ import annotations

import os

from django.conf import settings as django_settings

from tracehound.handler import Handler

DEFAULTS = {
    "DSN": None,  # used when no handler in LOGGING names one
    "SEND_DEFAULT_PII": False,  # attach user id/username/email and the client IP to request events
}


def get(name):
    values = getattr(django_settings, "TRACEHOUND", None) or {}
    return values.get(name, DEFAULTS[name])


def configured_dsns() -> list:
    """Every DSN the project configures: LOGGING handlers of class tracehound.Handler, TRACEHOUND["DSN"],
    then TRACEHOUND_DSN. Each as (where, value)."""
    found = []
    logging_config = getattr(django_settings, "LOGGING", None) or {}
    for name, handler in (logging_config.get("handlers") or {}).items():
        cls = handler.get("class") or handler.get("()")
        is_ours = cls in ("tracehound.Handler", "tracehound.handler.Handler") or cls is Handler
        if is_ours and handler.get("dsn"):
            found.append(("LOGGING handler %r" % name, handler["dsn"]))
    if get("DSN"):
        found.append(('TRACEHOUND["DSN"]', get("DSN")))
    if os.environ.get("TRACEHOUND_DSN"):
        found.append(("TRACEHOUND_DSN", os.environ["TRACEHOUND_DSN"]))
    return found
