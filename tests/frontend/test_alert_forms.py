"""The rule and channel forms: what they save, and each bad input as an error beside its field (never a 500)."""

import re

import pytest
from django.urls import reverse

from notify.models import AlertRule, Channel
from tests.frontend.alert_factories import make_channel, make_rule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_receivers_allowed")]

LOCAL_HOOK = "http://127.0.0.1:9/slack-hook"


def rule_data(channel, **overrides) -> dict:
    data = {
        "name": "Checkout failures",
        "triggers": ["new_issue", "regression"],
        "threshold": "",
        "window_minutes": "",
        "environments": "production, staging",
        "min_level": "error",
        "release_glob": "shop@2.*",
        "tag_glob": "browser:Firefox*",
        "logger_glob": "shop.*",
        "platform": "python",
        "action_interval_minutes": "30",
        "channels": [str(channel.pk)],
        "is_active": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def post_rule(client, project, data, rule=None):
    url = (
        reverse("alert-rule-edit", args=[project.pk, rule.pk])
        if rule
        else reverse("alert-rule-create", args=[project.pk])
    )
    return client.post(url, data)


def form_errors(response) -> dict:
    assert response.status_code == 200, response.status_code  # the form again, with its errors
    return {field: " ".join(messages) for field, messages in response.context["form"].errors.items()}


def shown_error(response, field: str) -> str:
    """The error printed beside `field` on the page (not only in the form object)."""
    match = re.search(rf'id="id_{field}_error">(.*?)</small>', response.content.decode(), re.DOTALL)
    assert match, f"no error shown beside {field}"
    return re.sub(r"<[^>]+>", "", match.group(1))


def test_an_admin_creates_a_rule_and_the_alerts_page_describes_it(member_client, project, channel):
    response = post_rule(member_client, project, rule_data(channel))
    assert response.status_code == 302 and response["Location"] == reverse("project-alerts", args=[project.pk])
    rule = AlertRule.objects.get(project=project, name="Checkout failures")
    assert rule.triggers == ["new_issue", "regression"] and rule.threshold is None and rule.window_minutes is None
    assert rule.environments == ["production", "staging"] and rule.min_level == "error"
    assert (rule.release_glob, rule.tag_glob, rule.logger_glob, rule.platform) == (
        "shop@2.*",
        "browser:Firefox*",
        "shop.*",
        "python",
    )
    assert rule.action_interval_minutes == 30 and list(rule.channels.all()) == [channel] and rule.is_active
    page = member_client.get(reverse("project-alerts", args=[project.pk])).content.decode()
    row = re.search(rf'<tr id="rule-{rule.pk}">(.*?)</tr>', page, re.DOTALL).group(1)
    assert "Checkout failures" in row and "a new issue or a regression" in row
    assert "production or staging" in row and "error or worse" in row and "browser:Firefox*" in row
    assert "30 minutes" in row and "Ops Slack" in row


def test_a_frequency_rule_and_its_words(member_client, project, channel):
    data = rule_data(channel, triggers=["user_frequency"], threshold="25", window_minutes="120", environments="")
    assert post_rule(member_client, project, data).status_code == 302
    rule = AlertRule.objects.get(project=project, name="Checkout failures")
    assert (rule.triggers, rule.threshold, rule.window_minutes, rule.environments) == (["user_frequency"], 25, 120, [])
    page = member_client.get(reverse("project-alerts", args=[project.pk])).content.decode()
    assert "more than 25 distinct users of one issue in 2 hours" in page


def test_an_admin_edits_and_deletes_a_rule(member_client, project, channel):
    rule = make_rule(project, [channel], "Old name")
    form = member_client.get(reverse("alert-rule-edit", args=[project.pk, rule.pk])).content.decode()
    assert 'value="Old name"' in form and re.search(r'value="new_issue"[^>]*checked', form)
    data = rule_data(channel, name="New name", triggers=["escalation"], is_active=None)
    assert post_rule(member_client, project, data, rule).status_code == 302
    rule.refresh_from_db()
    assert rule.name == "New name" and rule.triggers == ["escalation"] and not rule.is_active
    confirm = member_client.get(reverse("alert-rule-delete", args=[project.pk, rule.pk]))
    assert "Delete the rule" in confirm.content.decode()
    assert member_client.post(reverse("alert-rule-delete", args=[project.pk, rule.pk])).status_code == 302
    assert not AlertRule.objects.filter(pk=rule.pk).exists()
    assert Channel.objects.filter(pk=channel.pk).exists()


@pytest.mark.parametrize(
    "overrides, field, words",
    [
        ({"window_minutes": "0", "triggers": ["event_frequency"], "threshold": "10"}, "window_minutes", "1440"),
        ({"window_minutes": "1441", "triggers": ["event_frequency"], "threshold": "10"}, "window_minutes", "1440"),
        ({"threshold": "0", "triggers": ["event_frequency"], "window_minutes": "5"}, "threshold", "from 1"),
        ({"threshold": "", "triggers": ["event_frequency"], "window_minutes": "5"}, "threshold", "needs N"),
        ({"threshold": "5", "triggers": ["user_frequency"], "window_minutes": ""}, "window_minutes", "needs M"),
        (
            {"triggers": ["event_frequency", "user_frequency"], "threshold": "10", "window_minutes": "5"},
            "triggers",
            "one frequency trigger",
        ),
        (
            {"triggers": ["event_frequency", "new_issue"], "threshold": "10", "window_minutes": "5"},
            "triggers",
            "stands alone",
        ),
        ({"threshold": "10"}, "threshold", "Only a frequency trigger"),
        ({"window_minutes": "5"}, "window_minutes", "Only a frequency trigger"),
        ({"triggers": []}, "triggers", "at least one trigger"),
        ({"triggers": ["page_me"]}, "triggers", "page_me"),
        ({"release_glob": "1." + "*" * 199}, "release_glob", "200"),
        ({"logger_glob": "x" * 201}, "logger_glob", "200"),
        ({"tag_glob": "t" * 201}, "tag_glob", "200"),
        ({"tag_glob": "browser=Firefox"}, "tag_glob", "key:value"),
        ({"tag_glob": ":Firefox"}, "tag_glob", "key:value"),
        ({"tag_glob": "brow*:Firefox"}, "tag_glob", "exactly"),
        ({"release_glob": "1.0\n2.0"}, "release_glob", "line breaks"),
        ({"min_level": "critical"}, "min_level", "valid choice"),
        ({"action_interval_minutes": "0"}, "action_interval_minutes", "From 1 minute"),
        ({"action_interval_minutes": ""}, "action_interval_minutes", "required"),
        ({"threshold": "many", "triggers": ["event_frequency"], "window_minutes": "5"}, "threshold", "whole number"),
        (
            {"window_minutes": "99999999999999999999999", "triggers": ["event_frequency"], "threshold": "1"},
            "window_minutes",
            "1440",
        ),  # fmt: skip
        ({"environments": "a" * 65}, "environments", "64"),
        ({"channels": []}, "channels", "at least one channel"),
        ({"channels": ["99999999999999999999999"]}, "channels", "not a channel of this project"),
        ({"channels": ["abc"]}, "channels", "not a channel of this project"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_bad_rule_settings_are_form_errors(member_client, project, channel, overrides, field, words):
    response = post_rule(member_client, project, rule_data(channel, **overrides))
    errors = form_errors(response)
    assert field in errors and words.lower() in errors[field].lower(), errors
    assert words.lower() in shown_error(response, field).lower()
    assert not AlertRule.objects.filter(name="Checkout failures").exists()


def test_a_rule_may_not_use_another_projects_channel(member_client, project, channel, foreign_project):
    foreign = make_channel(foreign_project, "Their Slack")
    response = post_rule(member_client, project, rule_data(channel, channels=[str(channel.pk), str(foreign.pk)]))
    assert "not a channel of this project" in form_errors(response)["channels"]
    assert "Their Slack" not in response.content.decode()  # never offered, never named
    assert not AlertRule.objects.filter(name="Checkout failures").exists()
    rule = make_rule(project, [channel])
    response = post_rule(member_client, project, rule_data(channel, channels=[str(foreign.pk)]), rule)
    assert "channels" in form_errors(response)
    assert list(rule.channels.all()) == [channel]


def test_the_rule_form_without_channels_points_to_making_one(member_client, project):
    project.alert_channels.all().delete()
    page = member_client.get(reverse("alert-rule-create", args=[project.pk])).content.decode()
    assert "no channels yet" in page and reverse("alert-channel-create", args=[project.pk]) in page


def channel_data(**overrides) -> dict:
    data = {"name": "Ops", "kind": "slack", "url": LOCAL_HOOK, "to": "team", "addresses": "", "urls": ""}
    data.update(overrides)
    data.setdefault("is_active", "on")
    return {key: value for key, value in data.items() if value is not None}


def post_channel(client, project, data, channel=None):
    if channel:
        return client.post(reverse("alert-channel-edit", args=[project.pk, channel.pk]), data)
    return client.post(reverse("alert-channel-create", args=[project.pk]), data)


@pytest.mark.parametrize(
    "data, config",
    [
        (channel_data(kind="slack"), {"url": LOCAL_HOOK}),
        (channel_data(kind="discord", url="http://127.0.0.1:9/api/webhooks/1/x"), None),
        (channel_data(kind="webhook", url="http://127.0.0.1:9/tracehound"), None),
        (channel_data(kind="email", to="team"), {"to": "team"}),
        (
            channel_data(kind="email", to="addresses", addresses="ops@example.com,\n dev@example.com"),
            {"to": "addresses", "addresses": ["ops@example.com", "dev@example.com"]},
        ),
    ],
)
def test_an_admin_creates_a_channel_of_each_kind(member, member_client, project, data, config):
    response = post_channel(member_client, project, data)
    assert response.status_code == 302, form_errors(response)
    channel = Channel.objects.get(project=project, name="Ops")
    assert response["Location"] == reverse("alert-channel", args=[project.pk, channel.pk])
    assert channel.kind == data["kind"] and channel.created_by == member and channel.is_active
    if config is not None:
        assert channel.config == config


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"url": "ftp://hooks.example.com/x"}, "url"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "https:///path-without-host"}, "url"),
        ({"url": "hooks.slack.com/services/x"}, "url"),
        ({"url": ""}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "http://[::1"}, "url"),
        ({"kind": "webhook", "url": "http://10.1.2.3/hook"}, "url"),
        ({"kind": "discord", "url": "http://169.254.169.254/latest/meta-data/"}, "url"),
        ({"kind": "email", "to": "addresses", "addresses": "ops@example.com, not-an-address"}, "addresses"),
        ({"kind": "email", "to": "addresses", "addresses": "ops@"}, "addresses"),
        ({"kind": "email", "to": "addresses", "addresses": ""}, "addresses"),
        (
            {"kind": "email", "to": "addresses", "addresses": "\n".join(f"u{n}@example.com" for n in range(1000))},
            "addresses",
        ),
        ({"kind": "email", "to": "everyone"}, "to"),
        ({"kind": "sms"}, "kind"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_bad_channel_settings_are_form_errors(member_client, project, overrides, field):
    response = post_channel(member_client, project, channel_data(**overrides))
    errors = form_errors(response)
    assert field in errors, errors
    assert not Channel.objects.filter(name="Ops").exists()


def test_a_refused_address_is_a_clear_error_on_the_form(member_client, project, settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "ALERT_ALLOWED_NETWORKS": []}
    response = post_channel(member_client, project, channel_data(url=LOCAL_HOOK))
    assert "127.0.0.1" in form_errors(response)["url"]
    assert "127.0.0.1" in shown_error(response, "url")
    assert not Channel.objects.filter(name="Ops").exists()


def test_an_admin_edits_a_channel_but_not_its_kind(member_client, project, channel):
    response = post_channel(member_client, project, channel_data(name="Renamed", kind="webhook"), channel)
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.kind, channel.config) == ("Renamed", "slack", {"url": LOCAL_HOOK})
    bad = post_channel(member_client, project, channel_data(url="ftp://x.example/"), channel)
    assert "url" in form_errors(bad)
    channel.refresh_from_db()
    assert channel.config == {"url": LOCAL_HOOK}


def test_deleting_a_channel_names_the_rules_left_without_one(member_client, project, channel):
    other = make_channel(project, "Email team", kind=Channel.Kind.EMAIL)
    alone = make_rule(project, [channel], "Only Slack")
    shared = make_rule(project, [channel, other], "Slack and email")
    page = member_client.get(reverse("alert-channel-delete", args=[project.pk, channel.pk])).content.decode()
    warning = re.search(r'<p role="alert">(.*?)</p>', page, re.DOTALL).group(1)
    assert "Only Slack" in warning and "Slack and email" not in warning
    assert member_client.post(reverse("alert-channel-delete", args=[project.pk, channel.pk])).status_code == 302
    assert not Channel.objects.filter(pk=channel.pk).exists()
    assert list(alone.channels.all()) == [] and list(shared.channels.all()) == [other]
    alerts_page = member_client.get(reverse("project-alerts", args=[project.pk])).content.decode()
    assert "none: it sends nothing" in alerts_page


def test_the_channel_form_preselects_the_kind_from_the_alerts_page(member_client, project):
    page = member_client.get(reverse("project-alerts", args=[project.pk])).content.decode()
    assert f"{reverse('alert-channel-create', args=[project.pk])}?kind=discord" in page
    form = member_client.get(reverse("alert-channel-create", args=[project.pk]), {"kind": "discord"}).content.decode()
    assert re.search(r'<option value="discord"[^>]*selected', form)
    assert member_client.get(reverse("alert-channel-create", args=[project.pk]), {"kind": "<x>"}).status_code == 200


def test_forms_have_no_inline_script_or_style(member_client, project, channel):
    rule = make_rule(project, [channel])
    for url in (
        reverse("project-alerts", args=[project.pk]),
        reverse("alert-rule-create", args=[project.pk]),
        reverse("alert-rule-edit", args=[project.pk, rule.pk]),
        reverse("alert-rule-delete", args=[project.pk, rule.pk]),
        reverse("alert-channel-create", args=[project.pk]),
        reverse("alert-channel", args=[project.pk, channel.pk]),
        reverse("alert-channel-edit", args=[project.pk, channel.pk]),
        reverse("alert-channel-delete", args=[project.pk, channel.pk]),
        reverse("account"),
    ):
        html = member_client.get(url).content.decode()
        for form in re.findall(r'<form[^>]*method="post".*?</form>', html, re.DOTALL):
            assert 'name="csrfmiddlewaretoken"' in form, url
        assert " style=" not in html and "<style" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url
        for tag in re.findall(r"<script[^>]*>", html):
            assert 'src="/static/' in tag or 'type="application/json"' in tag, (url, tag)
