"""A channel's settings, checked before they are stored: `clean_config(kind, data)` answers the config to keep or
raises a ValidationError whose message_dict names the field ("url", "addresses", "urls", "to", "kind").

A small first version: http(s) URLs with a host, literal addresses refused unless allowed (ALERT_ALLOWED_NETWORKS),
well-formed email addresses.
"""

import ipaddress
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from projects.options import option

STAFF_ONLY_KINDS = {"apprise"}
URL_KINDS = {"slack", "discord", "webhook"}
MAX_ADDRESSES = 50
MAX_URLS = 20


def _refused(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host == "localhost"
    if address.is_global:
        return False
    return not any(address in ipaddress.ip_network(net, strict=False) for net in option("ALERT_ALLOWED_NETWORKS"))


def _url(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({"url": "Enter the URL to send to."})
    value = value.strip()
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ValidationError({"url": "Enter an http:// or https:// URL with a host name."}) from None
    host = urlsplit(value).hostname or ""
    if _refused(host):
        raise ValidationError({"url": f"Refused: {host} is a private or local address, which alerts may not reach."})
    return value


def _addresses(value) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ValidationError({"addresses": "List at least one email address."})
    if len(value) > MAX_ADDRESSES:
        raise ValidationError({"addresses": f"At most {MAX_ADDRESSES} addresses."})
    for address in value:
        try:
            if not isinstance(address, str):
                raise ValidationError("not a string")
            validate_email(address)
        except ValidationError:
            raise ValidationError({"addresses": f"Not an email address: {address}"}) from None
    return list(value)


def _apprise_urls(value) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_URLS:
        raise ValidationError({"urls": f"List one to {MAX_URLS} Apprise URLs."})
    for url in value:
        if not isinstance(url, str) or "://" not in url or not url.isprintable() or len(url) > 2000:
            raise ValidationError({"urls": "Each Apprise URL looks like scheme://..."})
    return list(value)


def clean_config(kind: str, data: dict) -> dict:
    if not isinstance(data, dict):
        raise ValidationError({"kind": "The settings must be an object."})
    if kind in URL_KINDS:
        return {"url": _url(data.get("url"))}
    if kind == "email":
        if data.get("to") == "team":
            return {"to": "team"}
        if data.get("to") == "addresses":
            return {"to": "addresses", "addresses": _addresses(data.get("addresses"))}
        raise ValidationError({"to": 'Send to "team" or to "addresses".'})
    if kind == "apprise":
        return {"urls": _apprise_urls(data.get("urls"))}
    raise ValidationError({"kind": "Unknown channel kind."})
