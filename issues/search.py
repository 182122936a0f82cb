"""The issue search language of the triage UI and its API.

A query is free text plus `key:value` terms, e.g. `is:unresolved level:error environment:production timeout`:
- `is:unresolved|resolved|muted` filters on the issue's status;
- `level:<level>` on the issue's level;
- any other `key:value` (`environment:production`, `release:1.2`, `browser:Firefox`) matches issues with events
  that carried that tag, through the per-issue tag facets (IssueTag) that digest keeps (it records each event's
  release, environment, level and server_name as tags too), so no query ever scans Event rows;
- the remaining words must each occur (case-insensitively) in the title, culprit or exception value (the
  message) of the issue: in `Issue.search_document`, those three upper-cased and joined, stored by the database,
  which on PostgreSQL a trigram index serves (migration 0008), so free text never reads every issue of a project.
Values may be quoted: `environment:"staging eu"`, `"connection reset"`. Nothing in a query is an error: unknown
`is:` values simply match nothing, so a typo shows an empty list instead of a failure.
"""

import shlex
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Upper

from issues.models import SEARCH_SEPARATOR, Issue, IssueTag

MAX_TERMS = 20  # a query longer than this is cut: each term is one more predicate for the database
MAX_TERM_LENGTH = 200


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
        issues = issues.filter(Exists(IssueTag.objects.filter(issue=OuterRef("pk"), key=key, value__in=values)))
    for word in query.words:
        # Upper-cased by the database, as the document is, so both sides agree on every alphabet.
        issues = issues.filter(search_document__contains=Upper(Value(word)))
    return issues


def search_issues(issues: QuerySet | None, text: str) -> QuerySet:
    """Parse `text` and filter `issues` (all issues when None) by it."""
    return filter_issues(Issue.objects.all() if issues is None else issues, parse_query(text))
