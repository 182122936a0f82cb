"""Tracehound's own settings: the TRACEHOUND dict in config/settings.py, the one place where each is defined and
documented with its default. Every app reads them through `option`, at the moment it needs them (so a test that
overrides a setting sees its value)."""

from django.conf import settings


def option(name: str):
    """The value of TRACEHOUND[name]; a KeyError names a setting that config/settings.py does not define."""
    return settings.TRACEHOUND[name]
