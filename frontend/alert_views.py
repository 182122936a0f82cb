"""The alerts pages of a project: its rules and channels, their forms, and each channel's deliveries with a button
that sends a test message.

Members of the project's teams see everything but a webhook's URL and signing secret; team admins create, change
and delete (others get a 403); another team's project, rule or channel is a 404. Plain forms that redirect, so
everything works without JavaScript; alerts.js only hides the fields that do not apply.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from frontend import access
from frontend.alert_display import destination, filter_words, minutes_in_words, trigger_words
from frontend.alert_forms import ChannelForm, RuleForm
from notify import channel_config, sending
from notify.models import AlertRule, Channel, Delivery

DELIVERIES_PER_PAGE = 50
MAX_RESULT_LENGTH = 500  # of a test's result in the page's message: a receiver may answer at length


def delivery_page(channel: Channel, page_number):
    """One page of the channel's deliveries, newest first; any page number that is not one is the first page."""
    deliveries = (
        channel.deliveries.select_related("alert__rule", "alert__issue__project", "carried_by")
        .annotate(carried=Count("carries"))
        .order_by("-created_at", "-pk")
    )
    return Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(page_number)


def _check_staff_only(user, channel: Channel) -> None:
    if channel.kind in channel_config.STAFF_ONLY_KINDS and not user.is_staff:
        raise PermissionDenied("Only staff can change this kind of channel")


@login_required
def project_alerts(request, project_id: int):
    project = access.visible_project(request.user, project_id)
    can_manage = access.administers(request.user, project)
    rules = project.alert_rules.prefetch_related("channels").order_by("name", "id")
    channels = project.alert_channels.annotate(rule_count=Count("rules")).order_by("name", "id")
    return render(
        request,
        "frontend/alerts.html",
        {
            "project": project,
            "can_manage": can_manage,
            "rules": [
                {
                    "rule": rule,
                    "when": trigger_words(rule),
                    "filters": filter_words(rule),
                    "interval": minutes_in_words(rule.action_interval_minutes),
                    "channels": sorted(rule.channels.all(), key=lambda channel: (channel.name, channel.pk)),
                }
                for rule in rules
            ],
            "channels": [{"channel": channel, "destination": destination(channel, can_manage)} for channel in channels],
            "kinds": [
                (value, label)
                for value, label in Channel.Kind.choices
                if value not in channel_config.STAFF_ONLY_KINDS or request.user.is_staff
            ],
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def rule_form(request, project_id: int, rule_id: int | None = None):
    project = access.administered_project(request.user, project_id)
    rule = access.alert_rule_of(project, rule_id) if rule_id is not None else None
    if request.method == "POST":
        form = RuleForm(request.POST, project=project, rule=rule)
        if form.is_valid():
            saved = form.save(rule or AlertRule(project=project))
            messages.info(request, f"Rule “{saved.name}” {'saved' if rule else 'created'}.")
            return redirect("project-alerts", project.pk)
    else:
        form = RuleForm(project=project, rule=rule)
    return render(
        request,
        "frontend/alert_rule_form.html",
        {"project": project, "rule": rule, "form": form, "has_channels": project.alert_channels.exists()},
    )


@require_http_methods(["GET", "POST"])
@login_required
def delete_rule(request, project_id: int, rule_id: int):
    project = access.administered_project(request.user, project_id)
    rule = access.alert_rule_of(project, rule_id)
    if request.method == "POST":
        rule.delete()
        messages.info(request, f"Rule “{rule.name}” deleted.")
        return redirect("project-alerts", project.pk)
    return render(request, "frontend/alert_delete.html", {"project": project, "rule": rule})


@require_http_methods(["GET", "POST"])
@login_required
def channel_form(request, project_id: int, channel_id: int | None = None):
    project = access.administered_project(request.user, project_id)
    channel = access.alert_channel_of(project, channel_id) if channel_id is not None else None
    if channel is not None:
        _check_staff_only(request.user, channel)
    if request.method == "POST":
        form = ChannelForm(request.POST, user=request.user, channel=channel)
        if form.is_valid():
            saved = form.save(channel or Channel(project=project, created_by=request.user))
            messages.info(request, f"Channel “{saved.name}” {'saved' if channel else 'created'}.")
            return redirect("alert-channel", project.pk, saved.pk)
    else:
        kind = request.GET.get("kind", "")
        form = ChannelForm(
            user=request.user, channel=channel, initial={"kind": kind} if kind in Channel.Kind.values else None
        )
    return render(request, "frontend/alert_channel_form.html", {"project": project, "channel": channel, "form": form})


@require_http_methods(["GET", "POST"])
@login_required
def delete_channel(request, project_id: int, channel_id: int):
    project = access.administered_project(request.user, project_id)
    channel = access.alert_channel_of(project, channel_id)
    _check_staff_only(request.user, channel)
    if request.method == "POST":
        channel.delete()
        messages.info(request, f"Channel “{channel.name}” deleted.")
        return redirect("project-alerts", project.pk)
    # Counted apart from the filter on this channel, which would otherwise leave each rule only this one to count.
    rules = (
        AlertRule.objects.filter(pk__in=channel.rules.values("pk"))
        .annotate(channel_count=Count("channels"))
        .order_by("name", "id")
    )
    return render(
        request,
        "frontend/alert_delete.html",
        {
            "project": project,
            "channel": channel,
            "rules": rules,
            "orphaned": [rule for rule in rules if rule.channel_count == 1],
        },
    )


@login_required
def channel_detail(request, project_id: int, channel_id: int):
    project = access.visible_project(request.user, project_id)
    channel = access.alert_channel_of(project, channel_id)
    can_manage = access.administers(request.user, project)
    return render(
        request,
        "frontend/alert_channel.html",
        {
            "project": project,
            "channel": channel,
            "can_manage": can_manage,
            "can_change": can_manage and (channel.kind not in channel_config.STAFF_ONLY_KINDS or request.user.is_staff),
            "destination": destination(channel, can_manage),
            "rules": channel.rules.order_by("name", "id"),
            "page": delivery_page(channel, request.GET.get("page")),
            "statuses": Delivery.Status,
        },
    )


@require_POST
@login_required
def test_channel(request, project_id: int, channel_id: int):
    """Send one test message now (the sender gives up within about 10 s) and say on the channel page what
    happened."""
    project = access.administered_project(request.user, project_id)
    channel = access.alert_channel_of(project, channel_id)
    result = sending.send_test_message(channel, request.user)
    detail = result.detail[:MAX_RESULT_LENGTH]
    if result.ok:
        messages.success(request, f"Test message sent: {detail}")
    else:
        messages.error(request, f"Test message not delivered: {detail}")
    return redirect("alert-channel", project.pk, channel.pk)
