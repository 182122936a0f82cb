"""The monitors page of a project (each monitor's state, last check-ins, uptime and next expected check-in) and the
form that creates or changes one, with snippets that report to it.

Members of the project's teams see them; team admins create, change and delete (others get a 403); another team's
project or monitor is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from frontend import access
from frontend.monitor_display import (
    celery_beat_snippet,
    check_in_urls,
    crontab_line,
    monitor_rows,
    sdk_snippet,
    uptime_rows,
)
from frontend.monitor_forms import MonitorForm, UptimeCheckForm
from monitors.checkins import expect_next
from monitors.models import Monitor, UptimeCheck
from projects.services import active_key


def uptime_check_of(project, check_id: int) -> UptimeCheck:
    check = UptimeCheck.objects.filter(pk=check_id, project=project).first()
    if check is None:
        raise Http404("No such uptime check")
    return check


def monitor_of(project, monitor_id: int) -> Monitor:
    monitor = Monitor.objects.filter(pk=monitor_id, project=project).first()
    if monitor is None:
        raise Http404("No such monitor")
    return monitor


@login_required
def project_monitors(request, project_id: int):
    project = access.visible_project(request.user, project_id)
    monitors = list(project.monitors.order_by("name", "id"))
    checks = list(project.uptime_checks.order_by("name", "id"))
    context = {
        "project": project,
        "can_manage": access.administers(request.user, project),
        "rows": monitor_rows(monitors),
        "uptime_rows": uptime_rows(checks),
    }
    return render(request, "frontend/monitors.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def monitor_form(request, project_id: int, monitor_id: int | None = None):
    project = access.administered_project(request.user, project_id)
    monitor = monitor_of(project, monitor_id) if monitor_id is not None else Monitor(project=project)
    if request.method == "POST":
        form = MonitorForm(request.POST, instance=monitor, project=project)
        if form.is_valid():
            saved = form.save(commit=False)
            if saved.last_check_in_at is not None:  # a new schedule or margin moves the next expected check-in
                expect_next(saved, saved.last_check_in_at)
            saved.save()
            messages.info(request, f"Monitor “{saved.name}” {'saved' if monitor_id else 'created'}.")
            return redirect("monitor-edit", project.pk, saved.pk)
    else:
        form = MonitorForm(instance=monitor, project=project)
    key = active_key(project)
    snippets = None
    if monitor.pk and key is not None:
        snippets = {
            "urls": check_in_urls(monitor, key.public_key),
            "crontab": crontab_line(monitor, key.public_key),
            "sdk": sdk_snippet(monitor),
            "celery": celery_beat_snippet(monitor),
        }
    return render(
        request,
        "frontend/monitor_form.html",
        {"project": project, "monitor": monitor, "form": form, "snippets": snippets},
    )


@require_http_methods(["GET", "POST"])
@login_required
def delete_monitor(request, project_id: int, monitor_id: int):
    project = access.administered_project(request.user, project_id)
    monitor = monitor_of(project, monitor_id)
    if request.method == "POST":
        monitor.delete()
        messages.info(request, f"Monitor “{monitor.name}” deleted.")
        return redirect("project-monitors", project.pk)
    return render(request, "frontend/monitor_delete.html", {"project": project, "monitor": monitor})


@require_http_methods(["GET", "POST"])
@login_required
def uptime_form(request, project_id: int, check_id: int | None = None):
    project = access.administered_project(request.user, project_id)
    check = uptime_check_of(project, check_id) if check_id is not None else UptimeCheck(project=project)
    if request.method == "POST":
        form = UptimeCheckForm(request.POST, instance=check, project=project)
        if form.is_valid():
            saved = form.save()
            messages.info(request, f"Uptime check “{saved.name}” {'saved' if check_id else 'created'}.")
            return redirect("project-monitors", project.pk)
    else:
        form = UptimeCheckForm(instance=check, project=project)
    return render(request, "frontend/uptime_form.html", {"project": project, "check": check, "form": form})


@require_http_methods(["GET", "POST"])
@login_required
def delete_uptime_check(request, project_id: int, check_id: int):
    project = access.administered_project(request.user, project_id)
    check = uptime_check_of(project, check_id)
    if request.method == "POST":
        check.delete()
        messages.info(request, f"Uptime check “{check.name}” deleted.")
        return redirect("project-monitors", project.pk)
    return render(request, "frontend/monitor_delete.html", {"project": project, "monitor": check, "uptime": True})
