"""The alerts of a project in the JSON API (session-authenticated, like frontend/api.py), with the pages' rules:
members of the project's teams read, team admins change (others get a 403), another team's project, rule, channel
or delivery is a 404. What a rule or a channel may hold is decided in notify (rule_config, channel_config), so
the API's 400s say what the pages' forms say."""

from dataclasses import asdict

from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from frontend import access
from frontend.alert_display import redacted_config
from frontend.alert_forms import RULE_FIELDS
from frontend.alert_views import delivery_page
from issues.normalize import LEVELS
from notify import channel_config, rule_config, sending
from notify.models import AlertRule, Channel, Delivery

MAX_ID = 2**63 - 1
MAX_RULE_CHANNELS = 100


class ChannelIdsField(serializers.ListField):
    """The ids of the rule's channels: each one of the rule's project."""

    child = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    def get_attribute(self, rule):
        return sorted(channel.pk for channel in rule.channels.all())


class AlertRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=100)
    triggers = serializers.ListField(
        child=serializers.ChoiceField(choices=AlertRule.Trigger.choices),
        max_length=len(AlertRule.Trigger.choices),
        help_text="any of new_issue, regression, escalation, recovery; or exactly one of event_frequency, "
        "user_frequency (which need threshold and window_minutes)",
    )
    threshold = serializers.IntegerField(
        allow_null=True, default=None, help_text="N of a frequency trigger: alert when more than N happen"
    )
    window_minutes = serializers.IntegerField(
        allow_null=True,
        default=None,
        help_text=f"M of a frequency trigger: within M minutes, {rule_config.MIN_WINDOW_MINUTES} to "
        f"{rule_config.MAX_WINDOW_MINUTES}",
    )
    environments = serializers.ListField(
        child=serializers.CharField(max_length=rule_config.MAX_ENVIRONMENT_LENGTH),
        max_length=rule_config.MAX_ENVIRONMENTS,
        default=list,
        help_text="any of these; empty: any environment",
    )
    min_level = serializers.ChoiceField(
        choices=["", *LEVELS], default="", allow_blank=True, help_text="this level or worse; empty: any level"
    )
    release_glob = serializers.CharField(
        max_length=rule_config.MAX_GLOB_LENGTH, default="", allow_blank=True, help_text="* any text, ? one character"
    )
    tag_glob = serializers.CharField(
        max_length=rule_config.MAX_GLOB_LENGTH, default="", allow_blank=True, help_text="key:value-glob"
    )
    logger_glob = serializers.CharField(max_length=rule_config.MAX_GLOB_LENGTH, default="", allow_blank=True)
    platform = serializers.CharField(max_length=rule_config.MAX_PLATFORM_LENGTH, default="", allow_blank=True)
    action_interval_minutes = serializers.IntegerField(
        default=rule_config.DEFAULT_ACTION_INTERVAL_MINUTES,
        help_text=f"an issue alerts this rule at most once per this many minutes "
        f"(1 to {rule_config.MAX_ACTION_INTERVAL_MINUTES})",
    )
    channels = ChannelIdsField(
        min_length=1,
        max_length=MAX_RULE_CHANNELS,
        error_messages={"min_length": "Choose at least one channel."},
        help_text="ids of the project's channels (at least one)",
    )
    is_active = serializers.BooleanField(default=True)
    created_at = serializers.DateTimeField(read_only=True)

    def validate_channels(self, ids: list[int]) -> list[int]:
        ids = sorted(set(ids))
        found = set(self.context["project"].alert_channels.filter(pk__in=ids).values_list("pk", flat=True))
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise serializers.ValidationError(f"No channel {missing[0]} in this project.")
        return ids

    def validate(self, attrs):
        rule = self.instance
        values = {name: attrs[name] if name in attrs else getattr(rule, name) for name in RULE_FIELDS}
        try:
            attrs.update(rule_config.clean_rule(values))
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return attrs

    def create(self, validated_data):
        return self.update(AlertRule(project=self.context["project"]), validated_data)

    def update(self, rule, validated_data):
        channels = validated_data.pop("channels", None)
        for name, value in validated_data.items():
            setattr(rule, name, value)
        rule.save()
        if channels is not None:
            rule.channels.set(channels)
        return rule


class AlertChannelSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(
        choices=Channel.Kind.choices, help_text="fixed once the channel exists; apprise: staff only"
    )
    config = serializers.DictField(
        help_text='email: {"to": "team"} or {"to": "addresses", "addresses": [...]}; slack, discord, webhook: '
        '{"url": "https://..."}; apprise: {"urls": [...]}. Members who are not team admins see URLs cut to their '
        "host."
    )
    is_active = serializers.BooleanField(default=True)
    created_at = serializers.DateTimeField(read_only=True)
    last_sent_at = serializers.DateTimeField(read_only=True)
    last_error = serializers.CharField(read_only=True, help_text="the outcome of the latest failed send")
    last_error_at = serializers.DateTimeField(read_only=True)
    signing_secret = serializers.SerializerMethodField(
        help_text="a webhook's signing secret (see docs/webhooks.md); shown to team admins only"
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_signing_secret(self, channel: Channel):
        if channel.kind == Channel.Kind.WEBHOOK and self.context.get("can_manage"):
            return channel.signing_secret
        return None

    def validate(self, attrs):
        channel = self.instance
        kind = attrs.get("kind", channel.kind if channel else None)
        if channel is not None and kind != channel.kind:
            raise serializers.ValidationError({"kind": "A channel keeps its kind; make a new channel for another."})
        if kind in channel_config.STAFF_ONLY_KINDS and not self.context["user"].is_staff:
            raise serializers.ValidationError(
                {"kind": "Only staff can set up this kind: it reaches hosts beyond the address checks."}
            )
        if "config" in attrs:
            try:
                attrs["config"] = channel_config.clean_config(kind, attrs["config"])
            except ValidationError as error:
                errors = {}
                for field, messages in error.message_dict.items():
                    if field == "kind":
                        errors["kind"] = messages
                    else:
                        errors.setdefault("config", {})[field] = messages
                raise serializers.ValidationError(errors) from None
        return attrs

    def create(self, validated_data):
        channel = Channel(project=self.context["project"], created_by=self.context["user"])
        return self.update(channel, validated_data)

    def update(self, channel, validated_data):
        for name, value in validated_data.items():
            setattr(channel, name, value)
        channel.save()
        return channel

    def to_representation(self, channel):
        data = super().to_representation(channel)
        if not self.context.get("can_manage"):
            data["config"] = redacted_config(channel)
        return data


class DeliveryAlertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    trigger = serializers.CharField()
    rule = serializers.IntegerField(source="rule_id")
    rule_name = serializers.CharField(source="rule.name")
    issue = serializers.IntegerField(source="issue_id")
    issue_title = serializers.CharField(source="issue.title")


class DeliverySerializer(serializers.ModelSerializer):
    alert = DeliveryAlertSerializer(allow_null=True, help_text="what the message was about (none for a test)")
    carried_by = serializers.UUIDField(
        source="carried_by_id", allow_null=True, help_text="the summary or held-back notice that carried this alert"
    )
    carried = serializers.IntegerField(help_text="how many alerts this summary or held-back notice carried")

    class Meta:
        model = Delivery
        fields = [
            "id",
            "kind",
            "status",
            "created_at",
            "attempts",
            "next_attempt_at",
            "sent_at",
            "last_error",
            "alert",
            "carried_by",
            "carried",
        ]
        read_only_fields = fields


ERRORS = {
    403: OpenApiResponse(description="not signed in, or not an admin of the project's team"),
    404: OpenApiResponse(description="a project, rule or channel that does not exist or belongs to another team"),
}
CHANGE_ERRORS = {400: OpenApiResponse(description="invalid fields, with a message for each"), **ERRORS}


def _project(request, project_id: int, change: bool):
    if change:
        return access.administered_project(request.user, project_id)
    return access.visible_project(request.user, project_id)


def _context(request, project) -> dict:
    return {"project": project, "user": request.user, "can_manage": access.administers(request.user, project)}


def _check_staff_only(request, channel: Channel) -> None:
    if channel.kind in channel_config.STAFF_ONLY_KINDS and not request.user.is_staff:
        raise PermissionDenied("Only staff can change this kind of channel")


class RuleList(APIView):
    """A project's alert rules."""

    @extend_schema(
        operation_id="alert_rules_list", tags=["alerts"], responses={200: AlertRuleSerializer(many=True), **ERRORS}
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id, change=False)
        rules = project.alert_rules.prefetch_related("channels").order_by("name", "id")
        return Response(AlertRuleSerializer(rules, many=True, context=_context(request, project)).data)

    @extend_schema(
        operation_id="alert_rules_create",
        tags=["alerts"],
        request=AlertRuleSerializer,
        responses={201: AlertRuleSerializer, **CHANGE_ERRORS},
    )
    def post(self, request, project_id: int):
        project = _project(request, project_id, change=True)
        serializer = AlertRuleSerializer(data=request.data, context=_context(request, project))
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class RuleDetail(APIView):
    @extend_schema(operation_id="alert_rules_retrieve", tags=["alerts"], responses={200: AlertRuleSerializer, **ERRORS})
    def get(self, request, project_id: int, rule_id: int):
        project = _project(request, project_id, change=False)
        rule = access.alert_rule_of(project, rule_id)
        return Response(AlertRuleSerializer(rule, context=_context(request, project)).data)

    def _update(self, request, project_id: int, rule_id: int, partial: bool):
        project = _project(request, project_id, change=True)
        rule = access.alert_rule_of(project, rule_id)
        serializer = AlertRuleSerializer(rule, data=request.data, partial=partial, context=_context(request, project))
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)

    @extend_schema(
        operation_id="alert_rules_update",
        tags=["alerts"],
        request=AlertRuleSerializer,
        responses={200: AlertRuleSerializer, **CHANGE_ERRORS},
    )
    def put(self, request, project_id: int, rule_id: int):
        return self._update(request, project_id, rule_id, partial=False)

    @extend_schema(
        operation_id="alert_rules_partial_update",
        tags=["alerts"],
        request=AlertRuleSerializer(partial=True),
        responses={200: AlertRuleSerializer, **CHANGE_ERRORS},
    )
    def patch(self, request, project_id: int, rule_id: int):
        return self._update(request, project_id, rule_id, partial=True)

    @extend_schema(operation_id="alert_rules_destroy", tags=["alerts"], responses={204: None, **ERRORS})
    def delete(self, request, project_id: int, rule_id: int):
        project = _project(request, project_id, change=True)
        access.alert_rule_of(project, rule_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChannelList(APIView):
    """A project's alert channels."""

    @extend_schema(
        operation_id="alert_channels_list",
        tags=["alerts"],
        responses={200: AlertChannelSerializer(many=True), **ERRORS},
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id, change=False)
        channels = project.alert_channels.order_by("name", "id")
        return Response(AlertChannelSerializer(channels, many=True, context=_context(request, project)).data)

    @extend_schema(
        operation_id="alert_channels_create",
        tags=["alerts"],
        request=AlertChannelSerializer,
        responses={201: AlertChannelSerializer, **CHANGE_ERRORS},
    )
    def post(self, request, project_id: int):
        project = _project(request, project_id, change=True)
        serializer = AlertChannelSerializer(data=request.data, context=_context(request, project))
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class ChannelDetail(APIView):
    @extend_schema(
        operation_id="alert_channels_retrieve", tags=["alerts"], responses={200: AlertChannelSerializer, **ERRORS}
    )
    def get(self, request, project_id: int, channel_id: int):
        project = _project(request, project_id, change=False)
        channel = access.alert_channel_of(project, channel_id)
        return Response(AlertChannelSerializer(channel, context=_context(request, project)).data)

    def _update(self, request, project_id: int, channel_id: int, partial: bool):
        project = _project(request, project_id, change=True)
        channel = access.alert_channel_of(project, channel_id)
        _check_staff_only(request, channel)
        serializer = AlertChannelSerializer(
            channel, data=request.data, partial=partial, context=_context(request, project)
        )
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)

    @extend_schema(
        operation_id="alert_channels_update",
        tags=["alerts"],
        request=AlertChannelSerializer,
        responses={200: AlertChannelSerializer, **CHANGE_ERRORS},
    )
    def put(self, request, project_id: int, channel_id: int):
        return self._update(request, project_id, channel_id, partial=False)

    @extend_schema(
        operation_id="alert_channels_partial_update",
        tags=["alerts"],
        request=AlertChannelSerializer(partial=True),
        responses={200: AlertChannelSerializer, **CHANGE_ERRORS},
    )
    def patch(self, request, project_id: int, channel_id: int):
        return self._update(request, project_id, channel_id, partial=True)

    @extend_schema(operation_id="alert_channels_destroy", tags=["alerts"], responses={204: None, **ERRORS})
    def delete(self, request, project_id: int, channel_id: int):
        project = _project(request, project_id, change=True)
        channel = access.alert_channel_of(project, channel_id)
        _check_staff_only(request, channel)
        channel.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class SendResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="the receiver took the message")
    detail = serializers.CharField(help_text='what happened: "200 OK", "404 from hooks.example.com: no_service", ...')
    retry = serializers.BooleanField(help_text="an alert failing this way would be tried again later")
    retry_after = serializers.FloatField(allow_null=True, help_text="seconds the receiver asked to wait, if it did")


class ChannelTest(APIView):
    """Send one test message through the channel now (answers within about 10 s) and say what happened; the
    attempt is recorded among the channel's deliveries. Team admins only."""

    @extend_schema(
        operation_id="alert_channels_test",
        tags=["alerts"],
        request=None,
        responses={200: SendResultSerializer, **ERRORS},
    )
    def post(self, request, project_id: int, channel_id: int):
        project = _project(request, project_id, change=True)
        channel = access.alert_channel_of(project, channel_id)
        return Response(SendResultSerializer(asdict(sending.send_test_message(channel, request.user))).data)


class DeliveryPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = DeliverySerializer(many=True)


class ChannelDeliveries(APIView):
    """The channel's deliveries, newest first, 50 a page."""

    @extend_schema(
        operation_id="alert_channels_deliveries_list",
        tags=["alerts"],
        parameters=[OpenApiParameter("page", OpenApiTypes.INT, description="1 (the newest) and up")],
        responses={200: DeliveryPageSerializer, **ERRORS},
    )
    def get(self, request, project_id: int, channel_id: int):
        project = _project(request, project_id, change=False)
        channel = access.alert_channel_of(project, channel_id)
        page = delivery_page(channel, request.query_params.get("page"))
        return Response(
            {
                "count": page.paginator.count,
                "page": page.number,
                "pages": page.paginator.num_pages,
                "results": DeliverySerializer(page.object_list, many=True).data,
            }
        )
