"""Which of two releases is newer, for "resolved in release R" and "resolved in the next release".

Releases that parse as versions (PEP 440, which also reads semantic versions such as 1.2.3 and 2.0.0rc1; a
`package@` prefix as Sentry SDKs send it is skipped) compare by version; any other pair compares by the order
the project first saw them (the earliest first_seen of the release's tag among its issues), so a release named
by a commit hash or a date still has an order.
"""

from functools import cache

from django.db.models import Min
from packaging.version import InvalidVersion, Version

from issues.models import IssueTag


@cache
def version_of(release: str) -> Version | None:
    text = release.rsplit("@", 1)[-1].strip()
    if not text or len(text) > 100:
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _first_seen(project_id: int, releases) -> dict:
    return dict(
        IssueTag.objects.filter(issue__project_id=project_id, key="release", value__in=list(releases))
        .values("value")
        .annotate(first=Min("first_seen"))
        .values_list("value", "first")
    )


class ReleaseOrder:
    """`is_newer(a, b)` for one project's releases; first-seen times are read once per release asked about."""

    def __init__(self, project_id: int):
        self.project_id = project_id
        self.first_seen: dict = {}

    def is_newer(self, release: str, than: str) -> bool:
        a, b = version_of(release), version_of(than)
        if a is not None and b is not None:
            return a > b
        missing = {release, than} - set(self.first_seen)
        if missing:
            self.first_seen.update(_first_seen(self.project_id, missing))
        if release not in self.first_seen:
            # A release the project never saw before this event is newer than any it saw.
            return than in self.first_seen
        # A release named but never seen (a fix's coming release) is newer than any seen.
        return than in self.first_seen and self.first_seen[release] > self.first_seen[than]


def newest_release(project_id: int) -> str:
    """The newest release the project has seen: by version when all its releases parse, else the last seen first."""
    first_seen = (
        IssueTag.objects.filter(issue__project_id=project_id, key="release")
        .values("value")
        .annotate(first=Min("first_seen"))
        .values_list("value", "first")
    )
    releases = dict(first_seen)
    if not releases:
        return ""
    if all(version_of(release) is not None for release in releases):
        return max(releases, key=version_of)
    return max(releases, key=lambda release: (releases[release], release))
