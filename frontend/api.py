"""The JSON API behind the UI (session-authenticated): the same queries and the same access rules as the pages."""

from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from frontend import access, issue_detail, listing
from issues.models import Event, Issue


def issue_json(issue: Issue) -> dict:
    return {
        "id": issue.pk,
        "project": issue.project_id,
        "short_id": issue.short_id,
        "title": issue.title,
        "culprit": issue.culprit,
        "level": issue.level,
        "status": issue.status,
        "times_seen": issue.times_seen,
        "users_seen": issue.users_seen,
        "first_seen": issue.first_seen,
        "last_seen": issue.last_seen,
        "first_release": issue.first_release,
        "last_release": issue.last_release,
    }


def event_json(event: Event) -> dict:
    return {"id": event.pk, "event_id": event.event_id.hex, "issue": event.issue_id, "data": event.data}


class IssueList(APIView):
    """Issues of the user's projects (or of `?project=`), filtered and paged like the issue list page."""

    def get(self, request):
        project = request.query_params.get("project", "")
        if project:
            if not project.isdigit():
                raise NotFound("No such project")
            project_ids = [access.visible_project(request.user, int(project)).pk]
        else:
            project_ids = access.visible_project_ids(request.user)
        params = listing.ListParams.from_querydict(request.query_params)
        page = listing.issue_page(project_ids, params)
        return Response(
            {"count": page.total, "next_cursor": page.next_cursor, "results": [issue_json(i) for i in page.issues]}
        )


class IssueDetail(APIView):
    def get(self, request, issue_id: int):
        issue = access.visible_issue(request.user, issue_id)
        event = issue_detail.latest_event(issue)
        return Response({**issue_json(issue), "latest_event": event_json(event) if event else None})


class EventDetail(APIView):
    def get(self, request, issue_id: int, event_pk: int):
        issue = access.visible_issue(request.user, issue_id)
        return Response(event_json(access.event_of_issue(issue, event_pk)))
