"""The JSON API behind the UI (session-authenticated): the same queries and the same access rules as the pages."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from frontend import access, issue_detail, listing
from issues import triage
from issues.models import Event, Issue


class IssueSerializer(serializers.ModelSerializer):
    class Meta:
        model = Issue
        fields = [
            "id",
            "project",
            "short_id",
            "title",
            "culprit",
            "level",
            "status",
            "resolved_at",
            "muted_until",
            "times_seen",
            "users_seen",
            "first_seen",
            "last_seen",
            "first_release",
            "last_release",
        ]


class EventSerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(format="hex", read_only=True)
    data = serializers.JSONField(read_only=True, help_text="the stored event, as described in docs/event-format.md")

    class Meta:
        model = Event
        fields = ["id", "event_id", "issue", "data"]


class IssueDetailSerializer(IssueSerializer):
    latest_event = serializers.SerializerMethodField()

    class Meta(IssueSerializer.Meta):
        fields = [*IssueSerializer.Meta.fields, "latest_event"]

    @extend_schema_field(EventSerializer(allow_null=True))
    def get_latest_event(self, issue: Issue):
        event = issue_detail.latest_event(issue)
        return EventSerializer(event).data if event else None


class IssueList(APIView):
    """Issues of the user's projects (or of `?project=`), filtered and paged like the issue list page."""

    @extend_schema(
        operation_id="issues_list",
        responses=inline_serializer(
            "IssuePage",
            {
                "count": serializers.IntegerField(),
                "next_cursor": serializers.CharField(allow_null=True),
                "results": IssueSerializer(many=True),
                "hints": serializers.ListField(
                    child=serializers.CharField(), help_text="why terms of the query cannot match anything"
                ),
            },
        ),
    )
    def get(self, request):
        project = request.query_params.get("project", "")
        if project:
            project_id = access.parse_id(project)
            if project_id is None:
                raise NotFound("No such project")
            project_ids = [access.visible_project(request.user, project_id).pk]
        else:
            project_ids = access.visible_project_ids(request.user)
        params = listing.ListParams.from_querydict(request.query_params)
        page = listing.issue_page(project_ids, params)
        return Response(
            {
                "count": page.total,
                "next_cursor": page.next_cursor,
                "results": IssueSerializer(page.issues, many=True).data,
                "hints": page.hints,
            }
        )


class IssueDetail(APIView):
    @extend_schema(operation_id="issues_retrieve", responses=IssueDetailSerializer)
    def get(self, request, issue_id: int):
        return Response(IssueDetailSerializer(access.visible_issue(request.user, issue_id)).data)


class EventDetail(APIView):
    @extend_schema(operation_id="issues_events_retrieve", responses=EventSerializer)
    def get(self, request, issue_id: int, event_pk: int):
        issue = access.visible_issue(request.user, issue_id)
        return Response(EventSerializer(access.event_of_issue(issue, event_pk)).data)


class TriageSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(triage.ACTIONS))
    duration = serializers.ChoiceField(
        choices=list(triage.MUTE_DURATIONS), default="forever", help_text="how long a mute lasts (mute only)"
    )


class BulkTriageSerializer(TriageSerializer):
    issues = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), min_length=1, max_length=triage.MAX_ISSUES
    )


# What a triage call may answer besides success: the same for one issue and for several.
TRIAGE_ERRORS = {
    400: OpenApiResponse(description="unknown action or duration, or a malformed list of issue ids"),
    404: OpenApiResponse(description="an issue that does not exist or belongs to another team; nothing changed"),
}


class IssueTriage(APIView):
    """Resolve, reopen, mute or unmute one issue; answers the issue as it is afterwards."""

    @extend_schema(
        operation_id="issues_triage",
        tags=["issues"],
        request=TriageSerializer,
        responses={200: IssueSerializer, **TRIAGE_ERRORS},
    )
    def post(self, request, issue_id: int):
        issue = access.visible_issue(request.user, issue_id)
        form = TriageSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        triage.triage(Issue.objects.filter(pk=issue.pk), request.user, **form.validated_data)
        issue.refresh_from_db()
        return Response(IssueSerializer(issue).data)


class BulkTriage(APIView):
    """The same for several issues at once: all visible to the user, or a 404 and nothing changed."""

    @extend_schema(
        operation_id="issues_triage_bulk",
        tags=["issues"],
        request=BulkTriageSerializer,
        responses={
            200: inline_serializer(
                "TriageResult",
                {
                    "changed": serializers.ListField(
                        child=serializers.IntegerField(), help_text="issues whose state changed"
                    )
                },
            ),
            **TRIAGE_ERRORS,
        },
    )
    def post(self, request):
        form = BulkTriageSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        issues = access.visible_issues(request.user, set(data["issues"]))
        changed = triage.triage(issues, request.user, data["action"], data["duration"])
        return Response({"changed": sorted(changed)})
