"""Inbound filters: a project's rules for events it does not want, applied by digest before anything else.

An event that a filter matches is never normalised, stored, counted on an issue or alerted on: digest deletes its
inbox row and counts it for the filter (per day) and for the project (the outcome "filtered").

What a filter of each kind looks at (the raw event as the SDK sent it, or a stored event, which has the same
fields): exception type and message globs look at every exception of the chain (and the message); tag filters are
`key:value-glob`; client IP filters take an address or a CIDR network and look at user.ip_address, else the
request's REMOTE_ADDR; crawlers are recognised by the request's User-Agent (ua-parser's "Spider" device family,
from the maintained uap-core patterns); localhost is a loopback client address or a request to localhost; health
checks are request paths such as `/health`, `/healthz`, `/ping`, `/-/alive/`. A discarded issue's filter drops
events whose grouping key belongs to the issue: the one kind digest can only tell after grouping the event.

Cost: a project's filters are compiled once (glob matchers, networks) and kept until one of them changes (digest
reads their (id, updated_at) with each batch, one indexed query); the texts a filter looks at are cut to
MAX_TEXT characters, so a match costs at most MAX_PATTERN_LENGTH * MAX_TEXT character comparisons, in C.
"""

import ipaddress
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property, lru_cache

from django.db import connection
from ua_parser import parse_device

from issues.glob import MAX_PATTERN_LENGTH, GlobSet, compile_glob
from issues.models import Grouping, InboundFilter, InboundFilterDailyCount
from issues.normalize import LEVELS, as_dict, level_of, pairs_of, values_of
from projects.outcomes import FILTERED, add_outcome_counts

Kind = InboundFilter.Kind

# At most this many filters per project (active or not; discarded issues' aside): enough for any real list, and a
# bound on each event's cost.
MAX_FILTERS = 100
# A filter looks at the first MAX_TEXT characters of a message, URL or user agent.
MAX_TEXT = 1024
# Paths (lower-cased) that load balancers and orchestrators poll.
HEALTH_CHECK_GLOBS = (
    "*/health",
    "*/health/*",
    "*/healthz*",
    "*/healthcheck*",
    "*/health-check*",
    "*/_health*",
    "*/ping",
    "*/ping/",
    "*/-/alive*",
    "*/-/ready*",
    "*/-/healthy*",
    "*/livez*",
    "*/readyz*",
    "*/heartbeat",
    "*/heartbeat/",
)
# The same paths as one expression of our own (a fixed text, no user's): one search instead of fifteen globs.
# tests/issues/test_inbound_filters.py checks that it matches exactly what the globs match.
HEALTH_CHECK_PATH = re.compile(
    r"/health(?:/|$)|/(?:healthz|healthcheck|health-check|_health|-/alive|-/ready|-/healthy|livez|readyz)"
    r"|/(?:ping|heartbeat)/?$"
)
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
GLOB_KINDS = {Kind.EXCEPTION_TYPE, Kind.MESSAGE, Kind.RELEASE, Kind.LOGGER}
KINDS_WITHOUT_PATTERN = {Kind.CRAWLER, Kind.LOCALHOST, Kind.HEALTH_CHECK}
# What people create as filters; a discarded issue's filter is made and undone by discarding (issues/triage.py).
FORM_KINDS = [kind for kind in Kind.values if kind != Kind.ISSUE]
FORM_KIND_CHOICES = [(kind, label) for kind, label in Kind.choices if kind != Kind.ISSUE]


class FilterError(ValueError):
    """A filter that cannot be saved as given: the message says why, for a form error or a 400."""


def clean_pattern(kind: str, pattern: str) -> str:
    """The pattern to store for a filter of `kind`, or FilterError."""
    if kind not in FORM_KINDS:
        raise FilterError(f"unknown kind {kind!r}" if kind != Kind.ISSUE else "discard the issue from its page instead")
    pattern = (pattern or "").strip()
    if kind in KINDS_WITHOUT_PATTERN:
        return ""
    if not pattern:
        raise FilterError("this kind of filter needs a pattern")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise FilterError(f"a pattern has at most {MAX_PATTERN_LENGTH} characters")
    if kind == Kind.LEVEL:
        if pattern.lower() not in LEVELS:
            raise FilterError(f"a level is one of {', '.join(LEVELS)}")
        return pattern.lower()
    if kind == Kind.TAG:
        key, separator, value = pattern.partition(":")
        if not separator or not key.strip():
            raise FilterError("a tag filter is key:value, e.g. browser:Chrome* (the value is a glob)")
        return f"{key.strip()}:{value}"
    if kind == Kind.CLIENT_IP:
        try:
            return str(ipaddress.ip_network(pattern, strict=False))
        except ValueError:
            raise FilterError(f"{pattern!r} is not an IP address or a CIDR network such as 10.0.0.0/8") from None
    return pattern


def _text(value) -> str:
    return value[:MAX_TEXT] if isinstance(value, str) else ""


class EventView:
    """The facts filters look at, read from the event's dict on first use (most events meet few kinds)."""

    def __init__(self, data: dict):
        self.data = data

    @cached_property
    def exceptions(self) -> list[dict]:
        return [as_dict(exception) for exception in values_of(self.data.get("exception"))]

    @cached_property
    def exception_types(self) -> list[str]:
        return [_text(exception.get("type")) for exception in self.exceptions]

    @cached_property
    def messages(self) -> list[str]:
        texts = [_text(exception.get("value")) for exception in self.exceptions]
        for value in (self.data.get("message"), self.data.get("logentry")):
            if isinstance(value, dict):
                texts += [_text(value.get("formatted")), _text(value.get("message"))]
            else:
                texts.append(_text(value))
        return [text for text in texts if text]

    @cached_property
    def tags(self) -> list[tuple[str, str]]:
        return [(_text(key), _text(value)) for key, value in pairs_of(self.data.get("tags"))]

    @cached_property
    def request(self) -> dict:
        return as_dict(self.data.get("request"))

    @cached_property
    def client_ip(self):
        user_ip = as_dict(self.data.get("user")).get("ip_address")
        if not user_ip or user_ip == "{{auto}}":
            user_ip = as_dict(self.request.get("env")).get("REMOTE_ADDR")
        return _address(_text(user_ip).strip())

    @cached_property
    def host_and_path(self) -> tuple[str, str]:
        return _host_and_path(_text(self.request.get("url")))

    @cached_property
    def user_agent(self) -> str:
        for key, value in pairs_of(self.request.get("headers")):
            if isinstance(key, str) and key.lower() == "user-agent":
                return _text(value)
        return ""


@lru_cache(maxsize=65536)
def _address(text: str):
    """The IP address written in `text`, or None; remembered, as an application's clients come back."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _host_and_path(url: str) -> tuple[str, str]:
    """The lower-cased host name (no user, no port) and the path of a URL (or of a bare path), by slicing the
    string: what localhost and health-check filters read of every event, where urlsplit costs several times more."""
    scheme_end = url.find("://")
    if scheme_end < 0:
        host, path = "", url
    else:
        rest = url[scheme_end + 3 :]
        slash = rest.find("/")
        host, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
        host = host.rpartition("@")[2]
        host = host[1 : host.find("]")] if host.startswith("[") else host.partition(":")[0]
    for mark in "?#":
        path = path.partition(mark)[0]
    return host.lower(), path


@lru_cache(maxsize=4096)
def _is_crawler(user_agent: str) -> bool:
    """Whether ua-parser (uap-core's maintained patterns, which digest also reads browser and os tags with) puts
    the User-Agent in the "Spider" device family; remembered, as a project's traffic repeats its User-Agents."""
    device = parse_device(user_agent)
    return device is not None and device.family == "Spider"


def _any(match: Callable[[str], bool], texts: list[str]) -> bool:
    return any(match(text) for text in texts)


def _predicate(kind: str, pattern: str) -> Callable[[EventView], bool]:
    """A compiled filter: whether an event matches it."""
    if kind == Kind.EXCEPTION_TYPE:
        match = compile_glob(pattern)
        return lambda event: _any(match, event.exception_types)
    if kind == Kind.MESSAGE:
        match = compile_glob(pattern)
        return lambda event: _any(match, event.messages)
    if kind == Kind.RELEASE:
        match = compile_glob(pattern)
        return lambda event: match(_text(event.data.get("release")))
    if kind == Kind.LOGGER:
        match = compile_glob(pattern)
        return lambda event: match(_text(event.data.get("logger")))
    if kind == Kind.ENVIRONMENT:
        return lambda event: _text(event.data.get("environment")) == pattern
    if kind == Kind.LEVEL:
        return lambda event: level_of(event.data.get("level")) == pattern
    if kind == Kind.TAG:
        key, _, value = pattern.partition(":")
        match = compile_glob(value)
        return lambda event: any(k == key and match(v) for k, v in event.tags)
    if kind == Kind.CLIENT_IP:
        network = ipaddress.ip_network(pattern)
        return lambda event: event.client_ip is not None and event.client_ip in network
    if kind == Kind.CRAWLER:
        return lambda event: bool(event.user_agent) and _is_crawler(event.user_agent)
    if kind == Kind.LOCALHOST:
        return lambda event: (
            (event.client_ip is not None and event.client_ip.is_loopback) or (event.host_and_path[0] in LOCAL_HOSTS)
        )
    if kind == Kind.HEALTH_CHECK:
        return lambda event: HEALTH_CHECK_PATH.search(event.host_and_path[1].lower()) is not None
    raise FilterError(f"unknown kind {kind!r}")


def matcher(kind: str, pattern: str) -> Callable[[dict], bool]:
    """Whether an event (a raw or stored event's dict) matches one filter: for previews and tests."""
    predicate = _predicate(kind, pattern)
    return lambda data: predicate(EventView(data))


@dataclass(frozen=True)
class ProjectFilters:
    """A project's active filters, compiled: groups of the filters that look at one field, each group with one
    test of whether any of them matches (`group_test`) and its members (filter id, predicate) in the order they
    were created; and the grouping keys of its discarded issues, (version, key hash) -> filter id.

    An event that no filter drops (nearly all of them) costs one test per group, not one per filter: fifty
    filters over eight fields are about eight tests (bench/filters.py)."""

    signature: tuple
    groups: tuple[tuple[Callable[[EventView], bool], tuple[tuple[int, Callable[[EventView], bool]], ...]], ...]
    discarded_keys: dict

    def discarding(self, *keys) -> int | None:
        """The id of the filter of a discarded issue that one of `keys` (GroupingKey or None) belongs to, or None.
        Digest asks after grouping, the one thing it must know first."""
        for key in keys:
            if key is not None and (key.version, key.hash) in self.discarded_keys:
                return self.discarded_keys[(key.version, key.hash)]
        return None

    def first_match(self, data: dict) -> int | None:
        """The id of the first filter that drops `data`, or None."""
        event = EventView(data)
        for group_test, members in self.groups:
            if group_test(event):
                for filter_id, predicate in members:
                    if predicate(event):
                        return filter_id
        return None


_compiled: dict[int, ProjectFilters] = {}


def active_filters(project_ids) -> dict[int, ProjectFilters]:
    """The compiled active filters of those of `project_ids` that have any: one query, and compiling only for
    projects whose filters changed since last time."""
    rows: dict[int, list[tuple]] = {}
    for filter_id, project_id, kind, pattern, issue_id, updated_at in (
        InboundFilter.objects.filter(project_id__in=project_ids, is_active=True)
        .order_by("id")
        .values_list("id", "project_id", "kind", "pattern", "issue_id", "updated_at")
    ):
        rows.setdefault(project_id, []).append((filter_id, kind, pattern, issue_id, updated_at))
    result = {}
    for project_id, filters in rows.items():
        signature = tuple((filter_id, updated_at) for filter_id, _, _, _, updated_at in filters)
        cached = _compiled.get(project_id)
        if cached is None or cached.signature != signature:
            cached = compile_filters(signature, filters)
            _compiled[project_id] = cached
        result[project_id] = cached
    for project_id in set(project_ids) - set(rows):
        _compiled.pop(project_id, None)
    return result


def _group_test(kind: str, patterns: list[str]) -> Callable[[EventView], bool]:
    """One test of whether any of the filters of `kind` with `patterns` matches an event."""
    if kind in (Kind.EXCEPTION_TYPE, Kind.MESSAGE):
        texts = {Kind.EXCEPTION_TYPE: "exception_types", Kind.MESSAGE: "messages"}[kind]
        match = GlobSet(patterns)
        return lambda event: _any(match, getattr(event, texts))
    if kind in (Kind.RELEASE, Kind.LOGGER):
        match, name = GlobSet(patterns), kind.value
        return lambda event: match(_text(event.data.get(name)))
    if kind == Kind.ENVIRONMENT:
        names = set(patterns)
        return lambda event: _text(event.data.get("environment")) in names
    if kind == Kind.LEVEL:
        levels = set(patterns)
        return lambda event: level_of(event.data.get("level")) in levels
    if kind == Kind.TAG:
        by_key: dict[str, list[str]] = {}
        for pattern in patterns:
            key, _, value = pattern.partition(":")
            by_key.setdefault(key, []).append(value)
        matchers = {key: GlobSet(values) for key, values in by_key.items()}

        def any_tag_matches(event) -> bool:
            # Straight from the event's tags (a dict, as SDKs send them, or pairs), without building their list:
            # only the keys some filter names are looked at.
            tags = event.data.get("tags")
            for key, value in tags.items() if isinstance(tags, dict) else pairs_of(tags):
                match = matchers.get(key) if type(key) is str else None
                if match is not None and match(_text(value)):
                    return True
            return False

        return any_tag_matches
    if kind == Kind.CLIENT_IP:
        # (network, mask) as integers, per IP version: a comparison each, where `address in network` costs a
        # method call and several checks per network.
        networks: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for pattern in patterns:
            network = ipaddress.ip_network(pattern)
            networks[network.version].append((int(network.network_address), int(network.netmask)))

        def in_any_network(event) -> bool:
            address = event.client_ip
            if address is None:
                return False
            value = int(address)
            return any(value & mask == network for network, mask in networks[address.version])

        return in_any_network
    return _predicate(kind, patterns[0])  # crawlers, localhost, health checks: one filter says all


def compile_filters(signature: tuple, filters: list[tuple]) -> ProjectFilters:
    """A project's filters, (id, kind, pattern, issue id, updated_at) rows in creation order, compiled."""
    discarded = {issue_id: filter_id for filter_id, kind, _, issue_id, _ in filters if kind == Kind.ISSUE}
    keys = Grouping.objects.filter(issue_id__in=discarded).values_list("grouping_version", "key_hash", "issue_id")
    by_kind: dict[str, list[tuple[int, str]]] = {}
    for filter_id, kind, pattern, _, _ in filters:
        if kind != Kind.ISSUE:
            by_kind.setdefault(kind, []).append((filter_id, pattern))
    groups = tuple(
        (
            _group_test(Kind(kind), [pattern for _, pattern in members]),
            tuple((filter_id, _predicate(kind, pattern)) for filter_id, pattern in members),
        )
        for kind, members in by_kind.items()
    )
    return ProjectFilters(
        signature, groups, {(version, key_hash): discarded[issue_id] for version, key_hash, issue_id in keys}
    )


def count_dropped(drops: Counter) -> None:
    """Add `drops` ((project id, filter id, day) -> events) to the filters' daily counts and the projects'
    outcomes, in the caller's transaction."""
    if not drops:
        return
    table = InboundFilterDailyCount._meta.db_table
    by_filter_day: Counter = Counter()
    by_project: Counter = Counter()
    for (project_id, filter_id, day), n in drops.items():
        by_filter_day[(filter_id, day)] += n
        by_project[project_id] += n
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (inbound_filter_id, day, count) VALUES (%s, %s, %s) "
            f"ON CONFLICT (inbound_filter_id, day) DO UPDATE SET count = {table}.count + excluded.count",
            [(filter_id, adapt(day), n) for (filter_id, day), n in sorted(by_filter_day.items())],
        )
    add_outcome_counts([(project_id, FILTERED, n) for project_id, n in sorted(by_project.items())])


def save_filter(project, *, kind: str, pattern: str, is_active: bool = True, existing: InboundFilter | None = None):
    """Create a filter of `project`, or change `existing` (one of its filters); FilterError says what is wrong."""
    pattern = clean_pattern(kind, pattern)
    # Discarded issues' filters do not count: each costs a set lookup, and a bulk discard is bounded apart.
    made_by_hand = InboundFilter.objects.filter(project=project).exclude(kind=Kind.ISSUE)
    if existing is None and made_by_hand.count() >= MAX_FILTERS:
        raise FilterError(f"a project has at most {MAX_FILTERS} filters: change or delete one instead")
    inbound_filter = existing or InboundFilter(project=project)
    inbound_filter.kind, inbound_filter.pattern, inbound_filter.is_active = kind, pattern, is_active
    inbound_filter.save()
    return inbound_filter


def filters_with_counts(project, today) -> list[InboundFilter]:
    """The project's filters, oldest first, each with `dropped_today` and `dropped_week` (the last 7 days)."""
    filters = list(InboundFilter.objects.filter(project=project).select_related("issue").order_by("id"))
    counts = InboundFilterDailyCount.objects.filter(
        inbound_filter__project=project, day__gt=today - timedelta(days=7)
    ).values_list("inbound_filter_id", "day", "count")
    today_counts, week_counts = Counter(), Counter()
    for filter_id, day, n in counts:
        week_counts[filter_id] += n
        if day == today:
            today_counts[filter_id] += n
    for inbound_filter in filters:
        inbound_filter.dropped_today = today_counts[inbound_filter.id]
        inbound_filter.dropped_week = week_counts[inbound_filter.id]
    return filters
