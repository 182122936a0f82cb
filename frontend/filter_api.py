"""A project's inbound filters in the JSON API (session-authenticated, like frontend/api.py), with the pages'
rules: members of the project's teams read, team admins change (others get a 403), another team's project or
filter is a 404. What a filter may hold is decided in issues (inbound_filters), so the API's 400s say what the
form says."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from frontend import access
from frontend.filter_views import DISCARD_FILTER_ERROR, changeable_filter_of, filter_of
from issues.filter_preview import preview_filter
from issues.inbound_filters import FilterError, clean_pattern, filters_with_counts, save_filter
from issues.models import InboundFilter

ERRORS = {
    403: OpenApiResponse(description="not signed in, or (to change) not an admin of the project's team"),
    404: OpenApiResponse(description="a project or filter that does not exist or belongs to another team"),
}
CHANGE_ERRORS = {400: OpenApiResponse(description="invalid fields, with a message for each"), **ERRORS}


class FilterSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(
        choices=InboundFilter.Kind.choices, help_text="issue: made by discarding an issue; read only here"
    )
    pattern = serializers.CharField(
        max_length=250,
        default="",
        allow_blank=True,
        help_text="a glob (* any text, ? one character; the whole value must match), an environment, a level, "
        "key:value-glob for a tag, an address or CIDR for client_ip; empty for crawler, localhost, health_check",
    )
    is_active = serializers.BooleanField(default=True)
    issue = serializers.IntegerField(source="issue_id", read_only=True, help_text="the discarded issue (kind issue)")
    created_at = serializers.DateTimeField(read_only=True)
    dropped_today = serializers.IntegerField(read_only=True, default=0)
    dropped_week = serializers.IntegerField(read_only=True, default=0, help_text="events dropped in the last 7 days")

    def validate(self, attrs):
        current = self.instance
        kind = attrs.get("kind", current.kind if current else None)
        pattern = attrs.get("pattern", current.pattern if current else "")
        try:
            attrs["pattern"] = clean_pattern(kind, pattern)
        except FilterError as error:
            raise serializers.ValidationError({"pattern": [str(error)]}) from None
        return attrs


def _project(request, project_id: int, change: bool):
    if change:
        return access.administered_project(request.user, project_id)
    return access.visible_project(request.user, project_id)


def _changeable(project, filter_id: int):
    inbound_filter = changeable_filter_of(project, filter_id)
    if inbound_filter is None:
        raise serializers.ValidationError({"non_field_errors": [DISCARD_FILTER_ERROR]})
    return inbound_filter


def _save(serializer, project, existing=None):
    data = {"kind": existing.kind, "pattern": existing.pattern, "is_active": existing.is_active} if existing else {}
    data.update(serializer.validated_data)
    try:
        return save_filter(project, existing=existing, **data)
    except FilterError as error:
        raise serializers.ValidationError({"non_field_errors": [str(error)]}) from None


class FilterList(APIView):
    """A project's inbound filters, with what each dropped today and in the last 7 days."""

    @extend_schema(
        operation_id="inbound_filters_list", tags=["filters"], responses={200: FilterSerializer(many=True), **ERRORS}
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id, change=False)
        return Response(FilterSerializer(filters_with_counts(project, timezone.now().date()), many=True).data)

    @extend_schema(
        operation_id="inbound_filters_create",
        tags=["filters"],
        request=FilterSerializer,
        responses={201: FilterSerializer, **CHANGE_ERRORS},
    )
    def post(self, request, project_id: int):
        project = _project(request, project_id, change=True)
        serializer = FilterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(FilterSerializer(_save(serializer, project)).data, status=status.HTTP_201_CREATED)


class FilterDetail(APIView):
    @extend_schema(
        operation_id="inbound_filters_retrieve", tags=["filters"], responses={200: FilterSerializer, **ERRORS}
    )
    def get(self, request, project_id: int, filter_id: int):
        project = _project(request, project_id, change=False)
        return Response(FilterSerializer(filter_of(project, filter_id)).data)

    @extend_schema(
        operation_id="inbound_filters_partial_update",
        tags=["filters"],
        request=FilterSerializer(partial=True),
        responses={200: FilterSerializer, **CHANGE_ERRORS},
    )
    def patch(self, request, project_id: int, filter_id: int):
        project = _project(request, project_id, change=True)
        existing = _changeable(project, filter_id)
        serializer = FilterSerializer(existing, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(FilterSerializer(_save(serializer, project, existing)).data)

    @extend_schema(operation_id="inbound_filters_destroy", tags=["filters"], responses={204: None, **ERRORS})
    def delete(self, request, project_id: int, filter_id: int):
        project = _project(request, project_id, change=True)
        _changeable(project, filter_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class FilterPreview(APIView):
    """What a filter would have dropped over the last 7 days of stored events, without saving it."""

    @extend_schema(
        operation_id="inbound_filters_preview",
        tags=["filters"],
        request=FilterSerializer,
        responses={
            200: inline_serializer(
                "FilterPreviewResult",
                {
                    "events": serializers.IntegerField(help_text="events it would have dropped (estimated if sampled)"),
                    "issues": serializers.IntegerField(),
                    "examined": serializers.IntegerField(help_text="stored events looked at"),
                    "window_events": serializers.IntegerField(help_text="events of the last 7 days"),
                    "sampled": serializers.BooleanField(help_text="the figures are estimated from a sample"),
                    "top": serializers.ListField(child=serializers.DictField(), help_text="the 20 largest issues"),
                },
            ),
            **CHANGE_ERRORS,
        },
    )
    def post(self, request, project_id: int):
        project = _project(request, project_id, change=True)
        serializer = FilterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        preview = preview_filter(project, data["kind"], data["pattern"])
        return Response(
            {
                "events": preview.events,
                "issues": preview.issues,
                "examined": preview.examined,
                "window_events": preview.window_events,
                "sampled": preview.sampled,
                "top": [
                    {"issue": row["issue"].id, "title": row["issue"].title, "events": row["events"]}
                    for row in preview.top
                ],
            }
        )
