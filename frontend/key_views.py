"""A project's DSN keys (create one, revoke one) and its noise settings, flood cap and auto-resolve (project
settings page; team admins only).

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
MAX_AUTO_RESOLVE_DAYS = 3650
MAX_STORED_EVENTS_CAP = 100_000_000


@require_POST
@login_required
def create_project_key(request, project_id: int):
    project = access.administered_project(request.user, project_id)
    label = request.POST.get("label", "").strip()[:MAX_LABEL_LENGTH]
    key = create_key(project, label)
    messages.info(request, f"Key “{key.label}” created.")
    return redirect("project-settings", project.pk)


def _optional_number(request, name: str, largest: int) -> int | None:
    """The whole number 1..largest posted as `name`, None when left empty; ValueError for anything else."""
    text = request.POST.get(name, "").strip()
    if not text:
        return None
    if access.parse_id(text) is None or not 1 <= int(text) <= largest:
        raise ValueError(name)
    return int(text)


@require_POST
@login_required
def update_noise_settings(request, project_id: int):
    """The project's flood cap (stored events per issue per hour) and auto-resolve days; empty turns either off."""
    project = access.administered_project(request.user, project_id)
    try:
        project.flood_cap_per_hour = _optional_number(request, "flood_cap_per_hour", MAX_FLOOD_CAP)
        project.auto_resolve_days = _optional_number(request, "auto_resolve_days", MAX_AUTO_RESOLVE_DAYS)
        project.stored_events_cap = _optional_number(request, "stored_events_cap", MAX_STORED_EVENTS_CAP)
    except ValueError as error:
        largest = {
            "flood_cap_per_hour": MAX_FLOOD_CAP,
            "auto_resolve_days": MAX_AUTO_RESOLVE_DAYS,
            "stored_events_cap": MAX_STORED_EVENTS_CAP,
        }[str(error)]
        return HttpResponseBadRequest(f"{error} is a whole number from 1 to {largest:,}, or empty for none")
    project.save(update_fields=["flood_cap_per_hour", "auto_resolve_days", "stored_events_cap"])
    cap, days = project.flood_cap_per_hour, project.auto_resolve_days
    messages.info(
        request,
        (f"Flood cap: {cap:,} stored events per issue per hour. " if cap else "Flood cap off. ")
        + (f"Issues quiet for {days} days are resolved. " if days else "Auto-resolve off. ")
        + (
            f"At most {project.stored_events_cap:,} events are kept."
            if project.stored_events_cap
            else "No cap on stored events."
        ),
    )
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
