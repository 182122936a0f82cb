"""The account page: the user's email address (where email alerts go) and, per visible project, whether they get
the email alerts sent to the project's team (notify.models.AlertOptOut)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from frontend import access
from frontend.alert_forms import EmailForm
from notify.models import AlertOptOut, Channel
from projects.models import Project


@require_http_methods(["GET", "POST"])
@login_required
def account(request):
    user = request.user
    if request.method == "POST":
        form = EmailForm(request.POST)
        if form.is_valid():
            user.email = form.cleaned_data["email"]
            user.save(update_fields=["email"])
            messages.info(request, "Email address saved." if user.email else "Email address removed.")
            return redirect("account")
    else:
        form = EmailForm(initial={"email": user.email})
    projects = Project.objects.visible_to(user).order_by("name", "id")
    opted_out = set(AlertOptOut.objects.filter(user=user).values_list("project_id", flat=True))
    team_email = set(
        Channel.objects.filter(
            project__in=projects.values("id"), kind=Channel.Kind.EMAIL, config__to="team", is_active=True
        ).values_list("project_id", flat=True)
    )
    rows = [
        {"project": project, "receives": project.pk not in opted_out, "team_email": project.pk in team_email}
        for project in projects
    ]
    return render(request, "frontend/account.html", {"form": form, "rows": rows})


@require_POST
@login_required
def account_alerts(request):
    """Save the switches of the projects the form listed (`project`): a switch left off (absent) is an opt-out.
    Projects the user cannot see are ignored, so a forged id changes nothing."""
    listed = {access.parse_id(value) for value in request.POST.getlist("project")}
    receiving = {access.parse_id(value) for value in request.POST.getlist("email_alerts")}
    projects = Project.objects.visible_to(request.user).filter(pk__in=listed - {None})
    for project in projects:
        if project.pk in receiving:
            AlertOptOut.objects.filter(user=request.user, project=project).delete()
        else:
            AlertOptOut.objects.get_or_create(user=request.user, project=project)
    messages.info(request, "Email alert settings saved.")
    return redirect("account")
