"""Grouping: which events are the same problem, by the rules of the grouping version a project is on.

The rules of a released version never change, because changing them silently splits or merges people's issues:
each version is a frozen module (v<version>.py), and a change of rules is a new version. A project records its
version (Project.grouping_version); new projects start on the newest, and an existing one is upgraded on purpose
(its settings page, `manage.py upgrade_grouping`), after which digest also computes the previous version's key for
a while so that issues keep their events across the change (issues/digest.py).
"""

from issues.grouping import v2026_11, v2026_12
from issues.grouping.key import GroupingKey

VERSIONS = {module.VERSION: module for module in (v2026_11, v2026_12)}
NEWEST = v2026_12.VERSION


def grouping_key(data: dict, version: str = NEWEST) -> GroupingKey:
    """The key of the normalised event `data` by the rules of `version`.

    Also replaces `{{ default }}` in `data["fingerprint"]` by the default key's hash, so the stored event shows
    what the fingerprint actually was.
    """
    return VERSIONS[version].grouping_key(data)


__all__ = ["NEWEST", "VERSIONS", "GroupingKey", "grouping_key"]
