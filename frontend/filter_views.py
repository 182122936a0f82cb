"""A project's inbound filters: the list with what each dropped, the form with its preview, switch off, delete.

Members of the project's teams see the list; team admins create, change and delete (others get a 403); another
team's project or filter is a 404. Plain forms that redirect, so everything works without JavaScript: the form's
"Preview" button posts it to itself and shows what the filter would have dropped, without saving.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from frontend import access
from frontend.filter_forms import FilterForm
from issues.filter_preview import PREVIEW_DAYS, PREVIEW_SAMPLE, preview_filter
from issues.inbound_filters import HEALTH_CHECK_GLOBS, FilterError, filters_with_counts, save_filter
from issues.models import InboundFilter

DISCARD_FILTER_ERROR = "a discarded issue's filter is undone on the issue's page"


def filter_of(project, filter_id: int) -> InboundFilter:
    """A filter of `project`: another project's is a 404."""
    inbound_filter = InboundFilter.objects.filter(pk=filter_id, project=project).first()
    if inbound_filter is None:
        raise Http404("No such filter")
    return inbound_filter


def changeable_filter_of(project, filter_id: int) -> InboundFilter | None:
    """A filter of `project` that its pages and the API may change; None for a discarded issue's."""
    inbound_filter = filter_of(project, filter_id)
    return None if inbound_filter.kind == InboundFilter.Kind.ISSUE else inbound_filter


@login_required
def project_filters(request, project_id: int):
    project = access.visible_project(request.user, project_id)
    return render(
        request,
        "frontend/filters.html",
        {
            "project": project,
            "can_manage": access.administers(request.user, project),
            "filters": filters_with_counts(project, timezone.now().date()),
            "health_check_globs": HEALTH_CHECK_GLOBS,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def filter_form(request, project_id: int, filter_id: int | None = None):
    project = access.administered_project(request.user, project_id)
    existing = changeable_filter_of(project, filter_id) if filter_id is not None else None
    if filter_id is not None and existing is None:
        return HttpResponseBadRequest(DISCARD_FILTER_ERROR)
    preview = None
    if request.method == "POST":
        form = FilterForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if "preview" in request.POST:
                preview = preview_filter(project, data["kind"], data["pattern"])
            else:
                try:
                    saved = save_filter(
                        project,
                        kind=data["kind"],
                        pattern=data["pattern"],
                        is_active=data["is_active"],
                        existing=existing,
                    )
                except FilterError as error:
                    form.add_error(None, str(error))
                else:
                    messages.info(request, f"Filter “{saved}” {'saved' if existing else 'created'}.")
                    return redirect("project-filters", project.pk)
    elif existing is not None:
        form = FilterForm(initial={"kind": existing.kind, "pattern": existing.pattern, "is_active": existing.is_active})
    else:
        form = FilterForm()
    return render(
        request,
        "frontend/filter_form.html",
        {
            "project": project,
            "inbound_filter": existing,
            "form": form,
            "preview": preview,
            "preview_days": PREVIEW_DAYS,
            "preview_sample": PREVIEW_SAMPLE,
        },
    )


@require_POST
@login_required
def switch_filter(request, project_id: int, filter_id: int):
    project = access.administered_project(request.user, project_id)
    inbound_filter = changeable_filter_of(project, filter_id)
    if inbound_filter is None:
        return HttpResponseBadRequest(DISCARD_FILTER_ERROR)
    inbound_filter.is_active = request.POST.get("active") == "on"
    inbound_filter.save(update_fields=["is_active", "updated_at"])
    messages.info(request, f"Filter “{inbound_filter}” {'on' if inbound_filter.is_active else 'off'}.")
    return redirect("project-filters", project.pk)


@require_http_methods(["GET", "POST"])
@login_required
def delete_filter(request, project_id: int, filter_id: int):
    project = access.administered_project(request.user, project_id)
    inbound_filter = changeable_filter_of(project, filter_id)
    if inbound_filter is None:
        return HttpResponseBadRequest(DISCARD_FILTER_ERROR)
    if request.method == "POST":
        inbound_filter.delete()
        messages.info(request, f"Filter “{inbound_filter}” deleted.")
        return redirect("project-filters", project.pk)
    return render(request, "frontend/filter_delete.html", {"project": project, "inbound_filter": inbound_filter})
