"""Who may see what in the UI: every page, API call and websocket goes through these, so a foreign id is a 404."""

import re

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from issues.models import Event, Issue
from notify.models import AlertRule, Channel
from projects.models import Project

ID = re.compile(r"[0-9]{1,18}")


def parse_id(text: str) -> int | None:
    """A database id written in a URL or form (ASCII digits that fit a bigint), or None for anything else:
    `str.isdigit` accepts "²" and "٣", and a number past 64 bits overflows the database."""
    return int(text) if ID.fullmatch(text) else None


def visible_project_ids(user) -> list[int]:
    return list(Project.objects.visible_to(user).order_by("name", "id").values_list("id", flat=True))


def visible_project(user, project_id: int) -> Project:
    project = Project.objects.visible_to(user).filter(pk=project_id).first()
    if project is None:
        raise Http404("No such project")
    return project


def administered_project(user, project_id: int) -> Project:
    """A project the user may change: 404 when they cannot see it, 403 when they see it without being its admin."""
    project = visible_project(user, project_id)
    if not Project.objects.administered_by(user).filter(pk=project.pk).exists():
        raise PermissionDenied("Only an admin of the project's team can change it")
    return project


def administers(user, project: Project) -> bool:
    return Project.objects.administered_by(user).filter(pk=project.pk).exists()


def alert_rule_of(project: Project, rule_id: int) -> AlertRule:
    """A rule of `project` (already checked to be visible): the id of another project's rule is a 404."""
    rule = AlertRule.objects.filter(pk=rule_id, project=project).first()
    if rule is None:
        raise Http404("No such alert rule")
    return rule


def alert_channel_of(project: Project, channel_id: int) -> Channel:
    """A channel of `project` (already checked to be visible): the id of another project's channel is a 404."""
    channel = Channel.objects.filter(pk=channel_id, project=project).first()
    if channel is None:
        raise Http404("No such channel")
    return channel


def visible_issue(user, issue_id: int) -> Issue:
    issue = (
        Issue.objects.select_related("project")
        .filter(pk=issue_id, project__in=Project.objects.visible_to(user).values("id"))
        .first()
    )
    if issue is None:
        raise Http404("No such issue")
    return issue


def event_of_issue(issue: Issue, event_pk: int) -> Event:
    event = Event.objects.filter(pk=event_pk, issue=issue).first()
    if event is None:
        raise Http404("No such event")
    return event


def visible_issues(user, issue_ids: set[int]) -> QuerySet:
    """The issues with `issue_ids`, all of which the user must be able to see (Http404 otherwise)."""
    issues = Issue.objects.filter(pk__in=issue_ids, project__in=Project.objects.visible_to(user).values("id"))
    if issues.count() != len(issue_ids):
        raise Http404("No such issue")
    return issues
