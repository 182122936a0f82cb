"""The triage pages. Readable without JavaScript; live.js adds the websocket that keeps them current."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse

from frontend import access, issue_detail, listing, sdk_download
from frontend.charts import histogram
from frontend.consumers import LIVE_SOCKET_PATH
from frontend.event_view import event_view
from frontend.grouping_views import grouping_status
from issues.models import Issue, ProjectStorage
from issues.normalize import LEVELS
from projects.models import Project
from projects.options import option
from projects.services import active_key


def sdk_wheel(request, filename: str):
    if filename != sdk_download.wheel_name():
        raise Http404("no such file")
    return FileResponse(open(sdk_download.built_wheel(), "rb"), as_attachment=True, filename=filename)  # noqa: SIM115


def favicon(request):
    """Pages name their icon; this is for the clients that ask the conventional address without reading a page.
    Not permanent: the icon's address changes with its content (hashed static names)."""
    return redirect(static("frontend/favicon.svg"))


@login_required
def home(request):
    projects = Project.objects.visible_to(request.user).order_by("name")
    rows = [{"project": project, "key": active_key(project)} for project in projects]
    return render(request, "frontend/home.html", {"rows": rows})


def _first_event_help(project) -> dict | None:
    """What an empty project's list shows instead of an empty table: how to send the first event."""
    if project is None or Issue.objects.filter(project=project).exists():
        return None
    key = active_key(project)
    return {"dsn": key.dsn if key else "", "sdk_url": _sdk_url()}


def _sdk_url() -> str:
    # From the public base URL, as DSNs are: the address the application servers reach this one by.
    return option("BASE_URL").rstrip("/") + reverse("sdk-wheel", args=[sdk_download.wheel_name()])


def _issue_list(request, project=None):
    params = listing.ListParams.from_querydict(request.GET)
    project_ids = [project.pk] if project else access.visible_project_ids(request.user)
    page = listing.issue_page(project_ids, params)
    # The socket is told what the page shows, so that pushes carry only rows that match it; of the cursor it
    # only needs to know that this is not the first page (which alone takes new issues at the top).
    socket = params.as_query(cursor="1" if params.cursor else "")
    if project:
        socket["project"] = project.pk
    return render(
        request,
        "frontend/issue_list.html",
        {
            "project": project,
            "params": params,
            "page": page,
            "sorts": [
                ("last_seen", "Last seen"),
                ("first_seen", "First seen"),
                ("times_seen", "Events"),
                ("users", "Users"),
            ],
            "levels": LEVELS,
            "count_cap": listing.COUNT_CAP,
            "next_query": urlencode(params.as_query(cursor=page.next_cursor)) if page.next_cursor else "",
            "first_query": urlencode(params.as_query(cursor="")),
            "live": {"socket": f"{LIVE_SOCKET_PATH}?{urlencode(socket)}"},
            "first_event": _first_event_help(project),
        },
    )


@login_required
def all_issues(request):
    return _issue_list(request)


@login_required
def project_issues(request, project_id: int):
    return _issue_list(request, access.visible_project(request.user, project_id))


@login_required
def issue(request, issue_id: int, event_pk: int | None = None):
    issue = access.visible_issue(request.user, issue_id)
    event = access.event_of_issue(issue, event_pk) if event_pk else issue_detail.latest_event(issue)
    charts = issue_detail.histograms(issue)
    return render(
        request,
        "frontend/issue_detail.html",
        {
            "project": issue.project,
            "issue": issue,
            "event": event,
            "view": event_view(event.data) if event else None,
            "neighbours": issue_detail.neighbours(event) if event else {},
            "facets": issue_detail.tag_facets(issue),
            "day_chart": histogram(charts["day"]),
            "month_chart": histogram(charts["month"]),
            "groupings": issue.groupings.select_related("matched_previous").order_by("created_at", "id"),
            "history": issue_detail.history(issue),
            "live": {"socket": f"{LIVE_SOCKET_PATH}?{urlencode({'issue': issue.pk})}"},
        },
    )


@login_required
def project_settings(request, project_id: int):
    project = access.visible_project(request.user, project_id)
    key = active_key(project)
    return render(
        request,
        "frontend/project_settings.html",
        {
            "project": project,
            "dsn": key.dsn if key else "",
            "keys": project.keys.order_by("-is_active", "id"),
            "can_manage": Project.objects.administered_by(request.user).filter(pk=project.pk).exists(),
            "key_cache_seconds": option("KEY_CACHE_SECONDS"),
            "grouping": grouping_status(project),
            "storage": ProjectStorage.objects.filter(project=project).first(),
            "retention_days": option("EVENT_RETENTION_DAYS"),
            "sdk_url": _sdk_url(),
        },
    )
