"""A project's grouping version on its settings page, and the upgrade to the newest (team admins only)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from frontend import access
from issues.grouping import NEWEST
from issues.project_grouping import grouping_of, transition_ends, upgrade
from projects.models import Project
from projects.options import option


def grouping_status(project: Project) -> dict:
    """What the settings page says of the project's grouping."""
    grouping = grouping_of(project.pk)
    ends = transition_ends(grouping)
    return {
        "version": grouping.version,
        "newest": NEWEST,
        "previous": grouping.previous_version if ends and timezone.now() < ends else "",
        "transition_ends": ends,
        "transition_days": option("GROUPING_TRANSITION_DAYS"),
    }


@require_POST
@login_required
def upgrade_grouping(request, project_id: int):
    project = access.administered_project(request.user, project_id)
    if upgrade(project):
        messages.info(request, f"Events are now grouped by version {NEWEST}.")
    return redirect("project-settings", project.pk)
