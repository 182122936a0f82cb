"""The tags digest derives from an event's fields, beside the ones its client sent, so search and the issue page's
facets work the same for every client: `browser:Firefox` finds a Django error raised in a request from Firefox
as well as a JavaScript error from the browser itself.

Sentry's names and forms:
- `level`, `release`, `environment`, `server_name`: the event's fields;
- `browser` (`Firefox 133.0`), `browser.name` (`Firefox`), `os` (`Windows 10`), `os.name` (`Windows`) and `device`
  (`iPhone`): from the event's `browser`/`os`/`device` contexts when its client sent them (mobile SDKs do),
  otherwise parsed from the User-Agent header of its request (what browser SDKs and server SDKs send), with
  ua-parser, the maintained port of the uap-core patterns;
- `url`: the request's URL without its query string (the normaliser has already split it off);
- `user.id`, `user.email`, `user.username`: each that the event's user has, so `user.email:ann@example.com` finds
  the issues a user reported even when the client also sent an id.
A tag the client sent itself under one of these names wins.
"""

from functools import lru_cache

from ua_parser import parse as parse_user_agent

from issues.normalize import text
from issues.scrub import FILTERED

MAX_TAG_VALUE = 200  # IssueTag.value's length
EVENT_FIELDS = ("level", "release", "environment", "server_name")
USER_FIELDS = ("id", "email", "username")


def derived_tags(data: dict) -> list[list[str]]:
    """[key, value] pairs for `data` (a normalised event), client tags first, each key once."""
    tags = list(data["tags"])
    present = {key for key, _ in tags}

    def add(key: str, value) -> None:
        value = text(value, MAX_TAG_VALUE).strip() if value is not None else ""
        # A scrubbed value (`[Filtered]`) tells a search nothing.
        if value and value != FILTERED and key not in present:
            tags.append([key, value])
            present.add(key)

    for field in EVENT_FIELDS:
        add(field, data[field])
    for key, value in _client_tags(data):
        add(key, value)
    add("url", data["request"].get("url"))
    for field in USER_FIELDS:
        add(f"user.{field}", data["user"].get(field))
    return tags


def _client_tags(data: dict) -> list[tuple[str, str]]:
    contexts = data["contexts"]
    from_contexts = [
        *_named_version("browser", contexts.get("browser")),
        *_named_version("os", contexts.get("os")),
        *_device(contexts.get("device")),
    ]
    user_agent = _user_agent_header(data["request"].get("headers") or {})
    if not user_agent:
        return from_contexts
    known = {key for key, _ in from_contexts}
    return from_contexts + [(key, value) for key, value in _parsed(user_agent) if key not in known]


def _named_version(prefix: str, context) -> list[tuple[str, str]]:
    if not isinstance(context, dict) or not isinstance(context.get("name"), str) or not context["name"].strip():
        return []
    name = context["name"].strip()
    version = context.get("version")
    full = f"{name} {version}".strip() if isinstance(version, str | int | float) else name
    return [(prefix, full), (f"{prefix}.name", name)]


def _device(context) -> list[tuple[str, str]]:
    if not isinstance(context, dict):
        return []
    family = context.get("family") or context.get("model")
    return [("device", family)] if isinstance(family, str) and family.strip() else []


def _user_agent_header(headers: dict) -> str:
    for name, value in headers.items():
        if name.lower() == "user-agent" and isinstance(value, str):
            return value
    return ""


@lru_cache(maxsize=4096)
def _parsed(user_agent: str) -> tuple[tuple[str, str], ...]:
    """ua-parser's reading of a User-Agent, in tag form; the same few browsers send most events, hence the cache
    (a new User-Agent costs about 12 microseconds, a known one well under 1)."""
    result = parse_user_agent(user_agent[:1000])
    tags: list[tuple[str, str]] = []
    for prefix, part in (("browser", result.user_agent), ("os", result.os)):
        if part is None or part.family == "Other":
            continue
        version = ".".join(number for number in (part.major, part.minor) if number)
        tags += [(prefix, f"{part.family} {version}".strip()), (f"{prefix}.name", part.family)]
    if result.device is not None and result.device.family not in ("Other", "Spider"):
        tags.append(("device", result.device.family))
    return tuple(tags)
