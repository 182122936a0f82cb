"""A project's monitors in the JSON API (session-authenticated, like frontend/api.py), with the pages' rules:
members of the project's teams read, team admins create, change and delete (others get a 403), another team's
project or monitor is a 404. Writes are checked by the page's form (frontend/monitor_forms.py), so the API's 400s
say what the form says."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from frontend import access
from frontend.monitor_display import uptime_shares, uptimes
from frontend.monitor_forms import MonitorForm, UptimeCheckForm
from frontend.monitor_views import monitor_of, uptime_check_of
from monitors.checkins import expect_next
from monitors.models import Monitor, UptimeCheck


class MonitorSerializer(serializers.ModelSerializer):
    uptime = serializers.SerializerMethodField(help_text="percent of runs that ended well: 24h, 7d, 30d (null: none)")

    class Meta:
        model = Monitor
        fields = [
            "id",
            "name",
            "slug",
            "schedule_type",
            "crontab",
            "interval_value",
            "interval_unit",
            "timezone",
            "checkin_margin_minutes",
            "max_runtime_minutes",
            "failure_threshold",
            "recovery_threshold",
            "environment",
            "state",
            "last_check_in_at",
            "next_expected_at",
            "consecutive_failures",
            "consecutive_successes",
            "uptime",
        ]
        read_only_fields = fields

    def get_uptime(self, monitor: Monitor) -> dict:
        return uptimes([monitor])[monitor.id]


WRITE_ERRORS = {
    400: OpenApiResponse(description="a field's value is refused: {field: [reasons]}"),
    403: OpenApiResponse(description="not an admin of the project's team"),
    404: OpenApiResponse(description="no such project or monitor among the user's"),
}


def _save(request, project, instance, form_class, serializer_class, partial: bool) -> Response:
    if not access.administers(request.user, project):
        raise PermissionDenied("Only an admin of the project's team can change its monitors")
    if not isinstance(request.data, dict):
        return Response({"detail": "the body must be a JSON object"}, status=status.HTTP_400_BAD_REQUEST)
    # What the request leaves out keeps the current value (for a new one, the default).
    data = {name: getattr(instance, name) for name in form_class.Meta.fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    data.update(request.data)
    form = form_class(data=data, instance=instance, project=project)
    if not form.is_valid():
        return Response(form.errors, status=status.HTTP_400_BAD_REQUEST)
    saved = form.save(commit=False)
    if isinstance(saved, Monitor) and saved.last_check_in_at is not None:
        expect_next(saved, saved.last_check_in_at)
    saved.save()
    answer = status.HTTP_200_OK if partial else status.HTTP_201_CREATED
    return Response(serializer_class(saved).data, status=answer)


class MonitorList(APIView):
    @extend_schema(operation_id="monitors_list", responses=MonitorSerializer(many=True))
    def get(self, request, project_id: int):
        project = access.visible_project(request.user, project_id)
        return Response(MonitorSerializer(project.monitors.order_by("name", "id"), many=True).data)

    @extend_schema(
        operation_id="monitors_create", request=MonitorSerializer, responses={201: MonitorSerializer, **WRITE_ERRORS}
    )
    def post(self, request, project_id: int):
        project = access.visible_project(request.user, project_id)
        return _save(request, project, Monitor(project=project), MonitorForm, MonitorSerializer, partial=False)


class MonitorDetail(APIView):
    @extend_schema(operation_id="monitors_retrieve", responses=MonitorSerializer)
    def get(self, request, project_id: int, monitor_id: int):
        project = access.visible_project(request.user, project_id)
        return Response(MonitorSerializer(monitor_of(project, monitor_id)).data)

    @extend_schema(
        operation_id="monitors_partial_update",
        request=MonitorSerializer,
        responses={200: MonitorSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, project_id: int, monitor_id: int):
        project = access.visible_project(request.user, project_id)
        return _save(request, project, monitor_of(project, monitor_id), MonitorForm, MonitorSerializer, partial=True)

    @extend_schema(operation_id="monitors_destroy", responses={204: None, **WRITE_ERRORS})
    def delete(self, request, project_id: int, monitor_id: int):
        project = access.visible_project(request.user, project_id)
        monitor = monitor_of(project, monitor_id)
        if not access.administers(request.user, project):
            raise PermissionDenied("Only an admin of the project's team can change its monitors")
        monitor.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class UptimeCheckSerializer(serializers.ModelSerializer):
    uptime = serializers.SerializerMethodField(help_text="percent of checks that passed: 24h, 7d, 30d (null: none)")

    class Meta:
        model = UptimeCheck
        fields = [
            "id",
            *UptimeCheckForm.Meta.fields,
            "state",
            "last_checked_at",
            "next_check_at",
            "certificate_expires_at",
            "consecutive_failures",
            "consecutive_successes",
            "uptime",
        ]
        read_only_fields = fields

    def get_uptime(self, check: UptimeCheck) -> dict:
        return uptime_shares([check])[check.id]


class UptimeList(APIView):
    @extend_schema(operation_id="uptime_checks_list", responses=UptimeCheckSerializer(many=True))
    def get(self, request, project_id: int):
        project = access.visible_project(request.user, project_id)
        return Response(UptimeCheckSerializer(project.uptime_checks.order_by("name", "id"), many=True).data)

    @extend_schema(
        operation_id="uptime_checks_create",
        request=UptimeCheckSerializer,
        responses={201: UptimeCheckSerializer, **WRITE_ERRORS},
    )
    def post(self, request, project_id: int):
        project = access.visible_project(request.user, project_id)
        check = UptimeCheck(project=project)
        return _save(request, project, check, UptimeCheckForm, UptimeCheckSerializer, partial=False)


class UptimeDetail(APIView):
    @extend_schema(operation_id="uptime_checks_retrieve", responses=UptimeCheckSerializer)
    def get(self, request, project_id: int, check_id: int):
        project = access.visible_project(request.user, project_id)
        return Response(UptimeCheckSerializer(uptime_check_of(project, check_id)).data)

    @extend_schema(
        operation_id="uptime_checks_partial_update",
        request=UptimeCheckSerializer,
        responses={200: UptimeCheckSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, project_id: int, check_id: int):
        project = access.visible_project(request.user, project_id)
        check = uptime_check_of(project, check_id)
        return _save(request, project, check, UptimeCheckForm, UptimeCheckSerializer, partial=True)

    @extend_schema(operation_id="uptime_checks_destroy", responses={204: None, **WRITE_ERRORS})
    def delete(self, request, project_id: int, check_id: int):
        project = access.visible_project(request.user, project_id)
        check = uptime_check_of(project, check_id)
        if not access.administers(request.user, project):
            raise PermissionDenied("Only an admin of the project's team can change its monitors")
        check.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
