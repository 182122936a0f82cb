"""The issue search language of the triage UI and its API.

A query is free text plus `key:value` terms, e.g. `is:unresolved level:error environment:production timeout`:
- `is:unresolved|resolved|muted` filters on the issue's status;
- `level:<level>` on the issue's level;
- any other `key:value` (`environment:production`, `browser:Firefox`, `user.email:ann@example.com`,
  `url:https://shop.example.com/cart/`) matches issues with events that carried that tag, through the per-issue
  tag facets (IssueTag) that digest keeps (with the tags it derives: issues/derived_tags.py), so no query ever
  scans Event rows;
- `browser:` and `os:` also match by name: `browser:Firefox` finds `Firefox 133.0`;
- `release:` also matches by version: `release:1.1` finds `shop@1.1` (Sentry's `package@version` form) and
  `1.1.4` or `shop@1.1-rc2` (a release whose version starts with it, up to a `.`, `-` or `+`), but not `1.10`;
- the remaining words must each occur (case-insensitively) in the title, culprit or exception value (the
  message) of the issue: in `Issue.search_document`, those three upper-cased and joined, stored by the database,
  which on PostgreSQL a trigram index serves (migration 0008), so free text never reads every issue of a project.
Values may be quoted: `environment:"staging eu"`, `"connection reset"`. Nothing in a query is an error, but a
term that cannot match (an unknown `is:` or `level:` value, a key no event of these projects carried) is named by
`query_hints`, which the list shows above its results, so a typo is not mistaken for "no such issues".
"""

import shlex
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Upper

from issues.models import SEARCH_SEPARATOR, Issue, IssueTag
from issues.normalize import LEVELS

MAX_TERMS = 20  # a query longer than this is cut: each term is one more predicate for the database
MAX_TERM_LENGTH = 200
# Tag keys digest derives for events that have the field (issues/derived_tags.py): known even before the first
# such event, so searching for them is never reported as a typo.
DERIVED_KEYS = (
    "release",
    "environment",
    "server_name",
    "browser",
    "browser.name",
    "os",
    "os.name",
    "device",
    "url",
    "user.id",
    "user.email",
    "user.username",
)
VERSION_SEPARATORS = ".-+"
NAME_VERSION_KEYS = ("browser", "os")  # "Firefox 133.0": `browser:Firefox` finds it, as the README promises


@dataclass
class IssueQuery:
    words: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)


def _split(text: str) -> list[str]:
    # Postgres refuses NUL in text (no title or tag can contain one anyway); the separator never joins words.
    text = text.replace("\x00", "").replace(SEARCH_SEPARATOR, " ")
    try:
        parts = shlex.split(text)
    except ValueError:  # an unbalanced quote: fall back to plain whitespace splitting
        parts = text.replace('"', " ").split()
    return [part[:MAX_TERM_LENGTH] for part in parts if part][:MAX_TERMS]


def parse_query(text: str) -> IssueQuery:
    query = IssueQuery()
    for part in _split(text or ""):
        key, sep, value = part.partition(":")
        key = key.lower()
        if not sep or not key or not value or " " in key:
            query.words.append(part)
        elif key == "is":
            query.statuses.append(value.lower())
        elif key == "level":
            query.levels.append(value.lower())
        else:
            query.tags.append((key, value))
    return query


def filter_issues(issues: QuerySet, query: IssueQuery) -> QuerySet:
    """`issues` narrowed to those matching `query` (several values of one key match any of them)."""
    if query.statuses:
        issues = issues.filter(status__in=query.statuses)
    if query.levels:
        issues = issues.filter(level__in=query.levels)
    by_key: dict[str, list[str]] = {}
    for key, value in query.tags:
        by_key.setdefault(key, []).append(value)
    for key, values in by_key.items():
        if key == "release":
            matches = _release_matches(values)
        elif key in NAME_VERSION_KEYS:
            matches = _name_matches(values)
        else:
            matches = Q(value__in=values)
        issues = issues.filter(Exists(IssueTag.objects.filter(matches, issue=OuterRef("pk"), key=key)))
    for word in query.words:
        # Upper-cased by the database, as the document is, so both sides agree on every alphabet.
        issues = issues.filter(search_document__contains=Upper(Value(word)))
    return issues


def _release_matches(values: list[str]) -> Q:
    matches = Q(value__in=values)
    for value in values:
        matches |= Q(value__endswith=f"@{value}")
        for separator in VERSION_SEPARATORS:
            matches |= Q(value__startswith=f"{value}{separator}") | Q(value__contains=f"@{value}{separator}")
    return matches


def _name_matches(values: list[str]) -> Q:
    matches = Q(value__in=values)
    for value in values:
        matches |= Q(value__startswith=f"{value} ")
    return matches


def query_hints(issues: QuerySet, query: IssueQuery) -> list[str]:
    """Why terms of `query` cannot match any of `issues` (the ones a person may see), one sentence per term."""
    hints = []
    for status in dict.fromkeys(query.statuses):
        if status not in Issue.Status.values:
            hints.append(f"is:{status} is not a status; use one of {', '.join(Issue.Status.values)}.")
    for level in dict.fromkeys(query.levels):
        if level not in LEVELS:
            hints.append(f"level:{level} is not a level; use one of {', '.join(LEVELS)}.")
    for key in dict.fromkeys(key for key, _ in query.tags):
        if key not in DERIVED_KEYS and not IssueTag.objects.filter(issue__in=issues, key=key).exists():
            hints.append(f"No event here has a tag {key}, so {key}: matches nothing.")
    return hints


def search_issues(issues: QuerySet | None, text: str) -> QuerySet:
    """Parse `text` and filter `issues` (all issues when None) by it."""
    return filter_issues(Issue.objects.all() if issues is None else issues, parse_query(text))
