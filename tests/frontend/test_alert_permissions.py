"""Who may do what on the alerts pages and API: every URL as a team admin, a member who is not an admin, a user
of another team and an anonymous visitor. Members read, admins change, other teams get a 404 everywhere."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from notify.models import AlertRule, Channel, Delivery
from projects.models import TeamMembership
from projects.services import add_member, ensure_default_team
from tests.frontend.alert_factories import make_channel, make_delivery, make_rule
from tests.frontend.factories import make_user

pytestmark = pytest.mark.django_db

READ, CHANGE = "read", "change"


@pytest.fixture
def alerts(project):
    channel = make_channel(project, "Ops Slack")
    rule = make_rule(project, [channel], "New issues")
    delivery = make_delivery(channel, status=Delivery.Status.FAILED, last_error="404 from hooks.slack.com")
    return {"project": project.pk, "rule": rule.pk, "channel": channel.pk, "delivery": delivery.pk}


def page_requests(ids: dict) -> list[tuple[str, str, str, dict]]:
    """(method, url, read or change, form data) for every alerts page."""
    p, r, c = ids["project"], ids["rule"], ids["channel"]
    rule_form = {"name": "Renamed", "triggers": "regression", "action_interval_minutes": "30", "channels": str(c)}
    channel_form = {"name": "Renamed", "kind": "slack", "url": "http://127.0.0.1:9/services/x", "to": "team"}
    return [
        ("get", reverse("project-alerts", args=[p]), READ, {}),
        ("get", reverse("alert-channel", args=[p, c]), READ, {}),
        ("get", reverse("alert-rule-create", args=[p]), CHANGE, {}),
        ("post", reverse("alert-rule-create", args=[p]), CHANGE, rule_form),
        ("get", reverse("alert-rule-edit", args=[p, r]), CHANGE, {}),
        ("post", reverse("alert-rule-edit", args=[p, r]), CHANGE, rule_form),
        ("get", reverse("alert-rule-delete", args=[p, r]), CHANGE, {}),
        ("get", reverse("alert-channel-create", args=[p]), CHANGE, {}),
        ("post", reverse("alert-channel-create", args=[p]), CHANGE, channel_form),
        ("get", reverse("alert-channel-edit", args=[p, c]), CHANGE, {}),
        ("post", reverse("alert-channel-edit", args=[p, c]), CHANGE, channel_form),
        ("get", reverse("alert-channel-delete", args=[p, c]), CHANGE, {}),
        ("post", reverse("alert-channel-test", args=[p, c]), CHANGE, {}),
        # Deleting last: the rows must exist for the other requests.
        ("post", reverse("alert-rule-delete", args=[p, r]), CHANGE, {}),
        ("post", reverse("alert-channel-delete", args=[p, c]), CHANGE, {}),
    ]


def api_requests(ids: dict) -> list[tuple[str, str, str, dict]]:
    p, r, c = ids["project"], ids["rule"], ids["channel"]
    rule = {"name": "API rule", "triggers": ["new_issue"], "channels": [c]}
    channel = {"name": "API hook", "kind": "webhook", "config": {"url": "http://127.0.0.1:9/tracehound"}}
    return [
        ("get", reverse("api-alert-rules", args=[p]), READ, {}),
        ("get", reverse("api-alert-rule", args=[p, r]), READ, {}),
        ("get", reverse("api-alert-channels", args=[p]), READ, {}),
        ("get", reverse("api-alert-channel", args=[p, c]), READ, {}),
        ("get", reverse("api-alert-channel-deliveries", args=[p, c]), READ, {}),
        ("post", reverse("api-alert-rules", args=[p]), CHANGE, rule),
        ("put", reverse("api-alert-rule", args=[p, r]), CHANGE, rule),
        ("patch", reverse("api-alert-rule", args=[p, r]), CHANGE, {"name": "Patched"}),
        ("post", reverse("api-alert-channels", args=[p]), CHANGE, channel),
        ("put", reverse("api-alert-channel", args=[p, c]), CHANGE, {**channel, "kind": "slack"}),
        ("patch", reverse("api-alert-channel", args=[p, c]), CHANGE, {"name": "Patched"}),
        ("post", reverse("api-alert-channel-test", args=[p, c]), CHANGE, {}),
        ("delete", reverse("api-alert-rule", args=[p, r]), CHANGE, {}),
        ("delete", reverse("api-alert-channel", args=[p, c]), CHANGE, {}),
    ]


def send(client: Client, method: str, url: str, data: dict, api: bool):
    if method == "get":
        return client.get(url)
    if api:
        return getattr(client, method)(url, json.dumps(data), content_type="application/json")
    return getattr(client, method)(url, data)


def snapshot(project) -> tuple:
    return (
        sorted(AlertRule.objects.filter(project=project).values_list("pk", "name")),
        sorted(Channel.objects.filter(project=project).values_list("pk", "name")),
        Delivery.objects.filter(channel__project=project).count(),
    )


@pytest.mark.parametrize("api", [False, True], ids=["pages", "api"])
def test_a_team_admin_reads_and_changes_everything(client, member, project, alerts, api, settings):
    # The channel URL is on this machine: allowed as TRACEHOUND_ALERT_ALLOWED_NETWORKS=127.0.0.1/32 allows it.
    settings.TRACEHOUND = {**settings.TRACEHOUND, "ALERT_ALLOWED_NETWORKS": ["127.0.0.1/32"]}
    client.force_login(member)
    for method, url, _, data in (api_requests if api else page_requests)(alerts):
        response = send(client, method, url, data, api)
        assert response.status_code in (200, 201, 204, 302), (method, url, response.status_code)
        if not api and method == "post":
            assert response.status_code == 302, (url, response.content.decode()[:2000])  # saved, not a form error
    assert not AlertRule.objects.filter(pk=alerts["rule"]).exists()
    assert not Channel.objects.filter(pk=alerts["channel"]).exists()


@pytest.mark.parametrize("api", [False, True], ids=["pages", "api"])
def test_a_member_who_is_not_an_admin_reads_but_gets_403_on_changes(client, member, project, alerts, api):
    TeamMembership.objects.filter(user=member).update(role=TeamMembership.Role.MEMBER)
    client.force_login(member)
    before = snapshot(project)
    for method, url, need, data in (api_requests if api else page_requests)(alerts):
        response = send(client, method, url, data, api)
        assert response.status_code == (200 if need == READ else 403), (method, url, response.status_code)
    assert snapshot(project) == before


@pytest.mark.parametrize("api", [False, True], ids=["pages", "api"])
def test_another_teams_user_gets_404_everywhere(client, project, alerts, api):
    outsider = make_user(ensure_default_team("Other team"), "eve")
    client.force_login(outsider)
    before = snapshot(project)
    for method, url, _, data in (api_requests if api else page_requests)(alerts):
        response = send(client, method, url, data, api)
        assert response.status_code == 404, (method, url, response.status_code)
        assert b"Ops Slack" not in response.content and b"hooks.slack.com" not in response.content
    assert snapshot(project) == before


@pytest.mark.parametrize("api", [False, True], ids=["pages", "api"])
def test_anonymous_visitors_are_sent_to_log_in_or_refused(client, project, alerts, api):
    before = snapshot(project)
    for method, url, _, data in (api_requests if api else page_requests)(alerts):
        response = send(client, method, url, data, api)
        if api:
            assert response.status_code in (401, 403), (method, url, response.status_code)
        else:
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    assert snapshot(project) == before
    for url in (reverse("account"), reverse("account-alerts")):
        response = client.post(url) if url.endswith("alerts/") else client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("api", [False, True], ids=["pages", "api"])
def test_rules_and_channels_of_another_project_are_404_under_ones_own(
    client, member, project, alerts, foreign_project, api
):
    """An admin of both teams' projects still cannot reach a rule or channel through the wrong project's URL."""
    add_member(ensure_default_team("Other team"), member)
    client.force_login(member)
    foreign_channel = make_channel(foreign_project, "Foreign hook")
    foreign = {
        "project": project.pk,
        "rule": make_rule(foreign_project, [foreign_channel], "Foreign rule").pk,
        "channel": foreign_channel.pk,
    }
    before = snapshot(foreign_project)
    for method, url, _, data in (api_requests if api else page_requests)(foreign):
        if url.rstrip("/").endswith(("alerts", "alert-rules", "alert-channels", "new")):
            continue  # the lists and forms of one's own project, which exist
        response = send(client, method, url, data, api)
        assert response.status_code == 404, (method, url, response.status_code)
    assert snapshot(foreign_project) == before


@pytest.mark.parametrize(
    "url",
    [
        "/projects/99999999999999999999999/alerts/",
        "/projects/1/alerts/rules/99999999999999999999999/",
        "/projects/1/alerts/channels/99999999999999999999999/",
        "/api/ui/projects/99999999999999999999999/alert-rules/",
        "/api/ui/projects/1/alert-channels/99999999999999999999999/deliveries/",
    ],
)
def test_ids_out_of_range_are_404_not_500(member_client, project, url):
    assert member_client.get(url).status_code == 404


def test_apprise_channels_are_for_staff_only(client, member, project, settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "ALERT_ALLOWED_NETWORKS": []}
    channel = make_channel(project, "Telegram", kind=Channel.Kind.APPRISE)
    client.force_login(member)  # a team admin, not staff
    apprise = {"name": "Mine", "kind": "apprise", "urls": "ntfy://ntfy.sh/shop-alerts", "to": "team"}
    page = client.post(reverse("alert-channel-create", args=[project.pk]), apprise)
    assert page.status_code == 200 and "Only staff" in page.content.decode()
    api = client.post(
        reverse("api-alert-channels", args=[project.pk]),
        {"name": "Mine", "kind": "apprise", "config": {"urls": ["ntfy://ntfy.sh/shop-alerts"]}},
        content_type="application/json",
    )
    assert api.status_code == 400 and "Only staff" in api.json()["kind"][0]
    for url in (
        reverse("alert-channel-edit", args=[project.pk, channel.pk]),
        reverse("alert-channel-delete", args=[project.pk, channel.pk]),
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, apprise).status_code == 403
    api_url = reverse("api-alert-channel", args=[project.pk, channel.pk])
    assert client.patch(api_url, {"name": "x"}, content_type="application/json").status_code == 403
    assert client.delete(api_url).status_code == 403
    assert Channel.objects.filter(kind="apprise").count() == 1
    assert client.get(reverse("alert-channel", args=[project.pk, channel.pk])).status_code == 200  # seen, though
    assert "?kind=apprise" not in client.get(reverse("project-alerts", args=[project.pk])).content.decode()

    member.is_staff = True
    member.save()
    assert "?kind=apprise" in client.get(reverse("project-alerts", args=[project.pk])).content.decode()
    created = client.post(reverse("alert-channel-create", args=[project.pk]), apprise)
    assert created.status_code == 302
    assert Channel.objects.get(name="Mine").config == {"urls": ["ntfy://ntfy.sh/shop-alerts"]}
    assert client.patch(api_url, {"name": "Renamed"}, content_type="application/json").status_code == 200
