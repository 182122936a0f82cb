"""Which grouping version each project is on, and upgrading a project to the newest.

A new project starts on the newest version. An existing project moves only when someone upgrades it (its settings
page, `manage.py upgrade_grouping`): for GROUPING_TRANSITION_DAYS after that, digest computes each event's key of
the previous version too, and when the new key is unknown but the previous one belongs to an issue, the event joins
that issue and the new key is added to it (issues/digest.py). After the window only the new version runs.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from issues.grouping import NEWEST
from issues.models import ProjectGrouping
from projects.models import Project
from projects.options import option


@dataclass(frozen=True)
class GroupingPlan:
    """How to group a project's events now: by `version`, and, inside a transition window, also by `previous`."""

    version: str
    previous: str = ""


def transition_ends(grouping: ProjectGrouping) -> datetime | None:
    if not grouping.previous_version or grouping.upgraded_at is None:
        return None
    return grouping.upgraded_at + timedelta(days=option("GROUPING_TRANSITION_DAYS"))


def plan_of(grouping: ProjectGrouping, now: datetime) -> GroupingPlan:
    ends = transition_ends(grouping)
    return GroupingPlan(grouping.version, grouping.previous_version if ends and now < ends else "")


def grouping_of(project_id: int) -> ProjectGrouping:
    """The project's row; a project that has none (made before its app's signal ran) gets the newest version."""
    grouping, _ = ProjectGrouping.objects.get_or_create(project_id=project_id, defaults={"version": NEWEST})
    return grouping


def plans(project_ids, now: datetime | None = None) -> dict[int, GroupingPlan]:
    """The plan of each project."""
    now = now or timezone.now()
    rows = {row.project_id: row for row in ProjectGrouping.objects.filter(project_id__in=project_ids)}
    for project_id in set(project_ids) - set(rows):
        rows[project_id] = grouping_of(project_id)
    return {project_id: plan_of(row, now) for project_id, row in rows.items()}


def upgrade(project: Project, now: datetime | None = None) -> bool:
    """Move `project` to the newest grouping version, starting its transition window; False if it is on it."""
    grouping = grouping_of(project.pk)
    if grouping.version == NEWEST:
        return False
    grouping.previous_version, grouping.version = grouping.version, NEWEST
    grouping.upgraded_at = now or timezone.now()
    grouping.save()
    return True


@receiver(post_save, sender=Project)
def new_projects_start_on_the_newest_version(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        ProjectGrouping.objects.get_or_create(project=instance, defaults={"version": NEWEST})
