"""A project's DSN keys (create one, revoke one) and its flood cap (project settings page; team admins only).

Plain CSRF-protected POST forms that redirect back to the settings page, so they work without JavaScript.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from frontend import access
from projects.models import ProjectKey
from projects.services import create_key

MAX_LABEL_LENGTH = ProjectKey._meta.get_field("label").max_length
MAX_FLOOD_CAP = 1_000_000


@require_POST
@login_required
def create_project_key(request, project_id: int):
    project = access.administered_project(request.user, project_id)
    label = request.POST.get("label", "").strip()[:MAX_LABEL_LENGTH]
    key = create_key(project, label)
    messages.info(request, f"Key “{key.label}” created.")
    return redirect("project-settings", project.pk)


@require_POST
@login_required
def update_flood_cap(request, project_id: int):
    """The project's flood cap: stored events per issue per hour, or empty for none."""
    project = access.administered_project(request.user, project_id)
    text = request.POST.get("flood_cap_per_hour", "").strip()
    if text and (access.parse_id(text) is None or not 1 <= int(text) <= MAX_FLOOD_CAP):
        return HttpResponseBadRequest(f"the flood cap is a whole number from 1 to {MAX_FLOOD_CAP:,}, or empty for none")
    project.flood_cap_per_hour = int(text) if text else None
    project.save(update_fields=["flood_cap_per_hour"])
    cap = project.flood_cap_per_hour
    messages.info(request, f"Flood cap: {cap:,} stored events per issue per hour." if cap else "Flood cap off.")
    return redirect("project-settings", project.pk)


@require_POST
@login_required
def revoke_project_key(request, project_id: int, key_id: int):
    project = access.administered_project(request.user, project_id)
    key = ProjectKey.objects.filter(pk=key_id, project=project).first()
    if key is None:
        raise Http404("No such key")
    if key.is_active:
        key.revoke()
        messages.info(request, f"Key “{key.label}” revoked.")
    return redirect("project-settings", project.pk)
