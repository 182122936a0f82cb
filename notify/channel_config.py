"""Validating a channel's settings (Channel.config) before they are saved: `clean_config(kind, data)`.

Returns the config to store, normalised, or raises ValidationError with a message per field
({"url": "...", "addresses": "..."}). It never fails otherwise, whatever `data` holds (a property-based test feeds
it random dicts and strings), so a form or an API view can pass user input straight in.

A Slack or Discord URL is not required to look like theirs: self-hosted Mattermost and Rocket.Chat take the Slack
payload at URLs of their own. A URL is checked against the SSRF guard of notify.outbound here, to say early that it
cannot work; the guard runs again at every send, since what a name resolves to can change.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from notify import outbound
from notify.models import Channel
from notify.transports import apprise

KINDS = tuple(Channel.Kind.values)
# Kinds only staff may create or edit (enforced where channels are created): Apprise resolves and connects by
# itself, beyond the SSRF guard, and some of its schemes reach local services.
STAFF_ONLY_KINDS = frozenset({Channel.Kind.APPRISE})
URL_KINDS = frozenset({Channel.Kind.SLACK, Channel.Kind.DISCORD, Channel.Kind.WEBHOOK})
MAX_ADDRESSES = 50
MAX_APPRISE_URLS = 10
MAX_APPRISE_URL_CHARS = 2000

_SEPARATORS = re.compile(r"[\s,;]+")
_validate_email = EmailValidator()


def clean_config(kind, data) -> dict:
    """The config to store for a channel of `kind`, or ValidationError({field: message})."""
    if not isinstance(kind, str) or kind not in KINDS:
        shown = kind if isinstance(kind, str) else type(kind).__name__
        raise ValidationError({"kind": f"unknown channel kind {shown[:40]!r}; one of: {', '.join(KINDS)}"})
    if not isinstance(data, dict):
        raise ValidationError({"config": "expected the channel's settings as an object"})
    if kind in URL_KINDS:
        return {"url": _clean_url(data.get("url"))}
    if kind == Channel.Kind.EMAIL:
        return _clean_email(data)
    return {"urls": _clean_apprise_urls(data.get("urls"))}


def _clean_url(url) -> str:
    if not isinstance(url, str) or not url.strip():
        raise ValidationError({"url": "enter the URL to send to"})
    try:
        outbound.check_url(url)
    except outbound.InvalidURL as error:
        raise ValidationError({"url": str(error)}) from None
    except outbound.Refused as error:
        raise ValidationError({"url": f"{error} (checked again at every send)"}) from None
    except outbound.Unresolvable as error:
        raise ValidationError({"url": f"{error}; is the host name right?"}) from None
    return url.strip()


def _items(value, field: str, what: str) -> list[str]:
    """A list of non-empty strings from a list, or from one string separated by spaces, commas or lines."""
    if isinstance(value, str):
        value = _SEPARATORS.split(value) if field == "addresses" else value.split()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError({field: f"expected a list of {what}"})
    return list(dict.fromkeys(item.strip() for item in value if item.strip()))


def _clean_email(data: dict) -> dict:
    to = data.get("to")
    if to == "team":
        return {"to": "team"}
    if to != "addresses":
        raise ValidationError({"to": "send to 'team' (the project's teams) or to 'addresses'"})
    addresses = _items(data.get("addresses"), "addresses", "email addresses")
    if not addresses:
        raise ValidationError({"addresses": "enter at least one email address"})
    if len(addresses) > MAX_ADDRESSES:
        raise ValidationError({"addresses": f"at most {MAX_ADDRESSES} addresses (got {len(addresses)})"})
    bad = []
    for address in addresses:
        try:
            _validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        shown = ", ".join(repr(address[:80]) for address in bad[:5])
        raise ValidationError({"addresses": f"not an email address: {shown}"})
    return {"to": "addresses", "addresses": addresses}


def _clean_apprise_urls(value) -> list[str]:
    urls = _items(value, "urls", "Apprise URLs")
    if not urls:
        raise ValidationError({"urls": "enter at least one Apprise URL"})
    if len(urls) > MAX_APPRISE_URLS:
        raise ValidationError({"urls": f"at most {MAX_APPRISE_URLS} URLs (got {len(urls)})"})
    for number, url in enumerate(urls, start=1):
        # Only the scheme is repeated back: the rest of an Apprise URL is usually a token.
        scheme = url.split("://", 1)[0][:20] if "://" in url else ""
        named = f"URL {number} ({scheme}://...)" if scheme else f"URL {number}"
        if len(url) > MAX_APPRISE_URL_CHARS:
            raise ValidationError({"urls": f"{named} is longer than {MAX_APPRISE_URL_CHARS:,} characters"})
        if not _apprise_can_use(url):
            raise ValidationError({"urls": f"Apprise cannot use {named}: unknown scheme, or a part is missing"})
    return urls


def _apprise_can_use(url: str) -> bool:
    try:
        return apprise.can_use(url)
    except Exception:  # a library parsing arbitrary input: whatever it raises means "cannot use", never a 500
        return False
