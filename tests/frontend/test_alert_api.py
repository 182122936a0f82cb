"""The alerts API: rules and channels created, read, changed and deleted; each bad input a 400 naming its field;
random JSON never a 500; the operations in the OpenAPI schema."""

import json

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notify import sending
from notify.models import AlertRule, Channel, Delivery
from notify.transports import SendResult
from projects.models import TeamMembership
from tests.frontend.alert_factories import SLACK_URL, make_alert, make_channel, make_delivery, make_rule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_receivers_allowed")]

LOCAL_HOOK = "http://127.0.0.1:9/hook"


def call(client, method, url, data=None):
    if data is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


def rules_url(project):
    return reverse("api-alert-rules", args=[project.pk])


def channels_url(project):
    return reverse("api-alert-channels", args=[project.pk])


def test_rule_crud(member_client, project, channel):
    second = make_channel(project, "Team email", kind=Channel.Kind.EMAIL)
    created = call(
        member_client,
        "post",
        rules_url(project),
        {
            "name": "Busy issues",
            "triggers": ["event_frequency"],
            "threshold": 100,
            "window_minutes": 5,
            "environments": ["production"],
            "min_level": "warning",
            "tag_glob": "browser:Firefox*",
            "channels": [second.pk, channel.pk, channel.pk],
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["triggers"] == ["event_frequency"] and (body["threshold"], body["window_minutes"]) == (100, 5)
    assert body["channels"] == sorted([channel.pk, second.pk]) and body["action_interval_minutes"] == 30
    assert body["is_active"] is True and body["release_glob"] == ""
    url = reverse("api-alert-rule", args=[project.pk, body["id"]])
    assert call(member_client, "get", url).json() == body
    assert body["id"] in [row["id"] for row in call(member_client, "get", rules_url(project)).json()]

    patched = call(member_client, "patch", url, {"name": "Renamed", "channels": [channel.pk]})
    assert patched.status_code == 200 and patched.json()["name"] == "Renamed"
    assert patched.json()["channels"] == [channel.pk] and patched.json()["threshold"] == 100

    replaced = call(
        member_client, "put", url, {"name": "New issues", "triggers": ["new_issue"], "channels": [second.pk]}
    )
    assert replaced.status_code == 200
    rule = AlertRule.objects.get(pk=body["id"])
    assert (rule.name, rule.triggers, rule.threshold, rule.window_minutes) == ("New issues", ["new_issue"], None, None)
    assert rule.environments == [] and rule.min_level == "" and list(rule.channels.all()) == [second]

    assert call(member_client, "delete", url).status_code == 204
    assert not AlertRule.objects.filter(pk=body["id"]).exists() and call(member_client, "get", url).status_code == 404


def test_channel_crud(member_client, project):
    created = call(
        member_client,
        "post",
        channels_url(project),
        {"name": "Deploy hook", "kind": "webhook", "config": {"url": LOCAL_HOOK}},
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    channel = Channel.objects.get(pk=body["id"])
    assert body["config"] == {"url": LOCAL_HOOK} and body["signing_secret"] == channel.signing_secret
    assert body["kind"] == "webhook" and body["last_error"] == "" and body["last_sent_at"] is None
    url = reverse("api-alert-channel", args=[project.pk, body["id"]])

    patched = call(member_client, "patch", url, {"is_active": False})
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert patched.json()["config"] == {"url": LOCAL_HOOK}
    kind_change = call(member_client, "patch", url, {"kind": "slack"})
    assert kind_change.status_code == 400 and "kind" in kind_change.json()
    replaced = call(
        member_client,
        "put",
        url,
        {"name": "Ops mail", "kind": "webhook", "config": {"url": "http://127.0.0.1:9/x"}},
    )
    assert replaced.status_code == 200 and replaced.json()["name"] == "Ops mail"

    email = call(
        member_client,
        "post",
        channels_url(project),
        {"name": "Ops", "kind": "email", "config": {"to": "addresses", "addresses": ["ops@example.com"]}},
    )
    assert email.status_code == 201 and email.json()["signing_secret"] is None
    names = [row["name"] for row in call(member_client, "get", channels_url(project)).json()]
    assert names.index("Ops") < names.index("Ops mail")  # by name

    assert call(member_client, "delete", url).status_code == 204
    assert not Channel.objects.filter(name="Ops mail").exists() and Channel.objects.filter(name="Ops").exists()


@pytest.mark.parametrize(
    "data, path",
    [
        ({"triggers": ["event_frequency"], "threshold": 10, "window_minutes": 0}, ["window_minutes"]),
        ({"triggers": ["event_frequency"], "threshold": 10, "window_minutes": 1441}, ["window_minutes"]),
        ({"triggers": ["user_frequency"], "threshold": 0, "window_minutes": 5}, ["threshold"]),
        ({"triggers": ["event_frequency", "user_frequency"], "threshold": 1, "window_minutes": 5}, ["triggers"]),
        ({"triggers": ["new_issue"], "threshold": 10}, ["threshold"]),
        ({"triggers": ["new_issue"], "window_minutes": 10}, ["window_minutes"]),
        ({"triggers": []}, ["triggers"]),
        ({"triggers": ["reboot"]}, ["triggers"]),
        ({"triggers": "new_issue"}, ["triggers"]),
        ({"release_glob": "x" * 201}, ["release_glob"]),
        ({"tag_glob": "no-colon"}, ["tag_glob"]),
        ({"min_level": "critical"}, ["min_level"]),
        ({"environments": ["x" * 65]}, ["environments"]),
        ({"action_interval_minutes": 0}, ["action_interval_minutes"]),
        ({"channels": []}, ["channels"]),
        ({"channels": [999999]}, ["channels"]),
        ({"channels": [2**70]}, ["channels"]),
        ({"channels": [1.5]}, ["channels"]),
        ({"channels": ["1"]}, None),  # a number written as a string is read as one
        ({"name": ""}, ["name"]),
        ({"name": "nul\x00"}, ["name"]),
    ],
)
def test_bad_rules_are_400_with_field_messages(member_client, project, channel, data, path):
    body = {"name": "Rule", "triggers": ["new_issue"], "channels": [channel.pk], **data}
    if data.get("channels") == ["1"]:
        body["channels"] = [str(channel.pk)]
    response = call(member_client, "post", rules_url(project), body)
    if path is None:
        assert response.status_code == 201
        return
    assert response.status_code == 400, response.content
    errors = response.json()
    assert set(errors) == set(path[:1]), errors
    assert all(isinstance(message, str) and message for message in errors[path[0]]), errors


def test_a_rule_may_not_use_another_projects_channel(member_client, project, channel, foreign_project):
    foreign = make_channel(foreign_project, "Their Slack")
    response = call(
        member_client, "post", rules_url(project), {"name": "R", "triggers": ["new_issue"], "channels": [foreign.pk]}
    )
    assert response.status_code == 400 and f"No channel {foreign.pk}" in response.json()["channels"][0]
    rule = make_rule(project, [channel])
    url = reverse("api-alert-rule", args=[project.pk, rule.pk])
    assert call(member_client, "patch", url, {"channels": [channel.pk, foreign.pk]}).status_code == 400
    assert list(rule.channels.all()) == [channel] and not foreign.rules.exists()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "slack", "config": {"url": "ftp://hooks.example.com/x"}}, "url"),
        ({"kind": "slack", "config": {"url": "file:///etc/passwd"}}, "url"),
        ({"kind": "discord", "config": {"url": "https://"}}, "url"),
        ({"kind": "webhook", "config": {"url": "http://192.168.1.1/"}}, "url"),
        ({"kind": "webhook", "config": {}}, "url"),
        ({"kind": "webhook", "config": {"url": ["x"]}}, "url"),
        ({"kind": "email", "config": {"to": "addresses", "addresses": ["bad address"]}}, "addresses"),
        (
            {"kind": "email", "config": {"to": "addresses", "addresses": [f"u{n}@example.com" for n in range(1000)]}},
            "addresses",
        ),  # fmt: skip
        ({"kind": "email", "config": {"to": "all"}}, "to"),
    ],
)
def test_bad_channel_settings_are_400_under_config(member_client, project, data, field):
    response = call(member_client, "post", channels_url(project), {"name": "C", **data})
    assert response.status_code == 400, response.content
    assert field in response.json()["config"], response.json()
    assert not Channel.objects.filter(name="C").exists()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "sms", "config": {}}, "kind"),
        ({"kind": "slack", "config": "https://hooks.example.com/"}, "config"),
        ({"kind": "slack"}, "config"),
        ({"config": {"url": LOCAL_HOOK}}, "kind"),
        ({"kind": "slack", "config": {"url": LOCAL_HOOK}, "name": "x" * 101}, "name"),
    ],
)
def test_malformed_channels_are_400(member_client, project, data, field):
    response = call(member_client, "post", channels_url(project), {"name": "C", **data})
    assert response.status_code == 400 and field in response.json(), response.content


def test_members_read_channels_without_their_secrets(member, member_client, project):
    webhook = make_channel(project, "Deploy hook", kind=Channel.Kind.WEBHOOK, config={"url": SLACK_URL})
    TeamMembership.objects.filter(user=member).update(role=TeamMembership.Role.MEMBER)
    body = call(member_client, "get", reverse("api-alert-channel", args=[project.pk, webhook.pk])).json()
    assert body["signing_secret"] is None and body["config"] == {"url": "https://hooks.slack.com/…"}
    assert webhook.signing_secret not in json.dumps(call(member_client, "get", channels_url(project)).json())


def test_the_test_endpoint_answers_the_send_result(member_client, project, channel, monkeypatch):
    monkeypatch.setattr(
        sending,
        "send_test_message",
        lambda channel, actor: SendResult(ok=False, detail="429 from hooks.slack.com", retry=True, retry_after=30.0),
    )
    response = call(member_client, "post", reverse("api-alert-channel-test", args=[project.pk, channel.pk]))
    assert response.status_code == 200
    assert response.json() == {"ok": False, "detail": "429 from hooks.slack.com", "retry": True, "retry_after": 30.0}


def test_deliveries_are_listed_newest_first_and_paged(member_client, project, channel):
    rule = make_rule(project, [channel], "Rule")
    summary = make_delivery(channel, kind=Delivery.Kind.SUMMARY, status=Delivery.Status.SENT, minutes_ago=1)
    carried = make_delivery(
        channel, make_alert(rule), status=Delivery.Status.SUMMARIZED, carried_by=summary, minutes_ago=2
    )
    for minutes in range(3, 60):
        make_delivery(channel, status=Delivery.Status.FAILED, last_error="503 from x", minutes_ago=minutes)
    url = reverse("api-alert-channel-deliveries", args=[project.pk, channel.pk])
    first = call(member_client, "get", url).json()
    assert (first["count"], first["page"], first["pages"], len(first["results"])) == (59, 1, 2, 50)
    assert first["results"][0]["id"] == str(summary.pk) and first["results"][0]["carried"] == 1
    row = first["results"][1]
    assert row["id"] == str(carried.pk) and row["carried_by"] == str(summary.pk) and row["status"] == "summarized"
    assert row["alert"]["rule_name"] == "Rule" and row["alert"]["issue"] == carried.alert.issue_id
    assert first["results"][2]["alert"] is None and first["results"][2]["last_error"] == "503 from x"
    assert len(call(member_client, "get", f"{url}?page=2").json()["results"]) == 9
    assert call(member_client, "get", f"{url}?page=abc").status_code == 200


def test_the_schema_describes_the_alert_operations(member_client):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    base = "/api/ui/projects/{project_id}"
    assert set(paths[f"{base}/alert-rules/"]) >= {"get", "post"}
    assert set(paths[f"{base}/alert-rules/{{rule_id}}/"]) >= {"get", "put", "patch", "delete"}
    assert set(paths[f"{base}/alert-channels/"]) >= {"get", "post"}
    assert set(paths[f"{base}/alert-channels/{{channel_id}}/"]) >= {"get", "put", "patch", "delete"}
    assert "post" in paths[f"{base}/alert-channels/{{channel_id}}/test/"]
    assert "get" in paths[f"{base}/alert-channels/{{channel_id}}/deliveries/"]
    assert "400" in paths[f"{base}/alert-rules/"]["post"]["responses"]
    components = schema["components"]["schemas"]
    assert {"AlertRule", "AlertChannel", "Delivery", "SendResult"} <= set(components)
    served = member_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert f"{base}/alert-rules/" in served.json()["paths"]


# Random JSON for the create endpoints: any shape, and the fields' own names with values near their edges.
RULE_KEYS = ["name", "triggers", "threshold", "window_minutes", "environments", "min_level", "release_glob", "tag_glob",
             "logger_glob", "platform", "action_interval_minutes", "channels", "is_active", "id"]  # fmt: skip
CHANNEL_KEYS = ["name", "kind", "config", "url", "to", "addresses", "urls", "is_active", "signing_secret"]
EDGE_VALUES = [
    0, -1, 1, 1440, 1441, 2**31, 2**63, 2**64, 10**30, 1e308, 1.5, float("nan"), True, None, "", "\x00",
    "\ud800", "new_issue", "event_frequency", "slack", "email", "apprise", "team", "addresses",
    "http://127.0.0.1:9/x", "ftp://x", "file:///etc/passwd", "https://", "a:b", "*" * 201, "²", "٣",
]  # fmt: skip
scalars = (
    st.sampled_from(EDGE_VALUES)
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(), max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def bodies(keys):
    config = st.fixed_dictionaries({}, optional=dict.fromkeys(("url", "to", "addresses", "urls"), json_values))
    return (
        st.dictionaries(st.sampled_from(keys), json_values | config, max_size=len(keys))
        | json_values
        | st.fixed_dictionaries(
            {"name": st.just("R"), "kind": st.sampled_from(["slack", "email", "webhook", "apprise"]), "config": config}
        )
        | st.fixed_dictionaries(
            {
                "name": st.just("R"),
                "triggers": st.lists(st.sampled_from([*AlertRule.Trigger.values, "x"]), max_size=3),
                "threshold": json_values,
                "window_minutes": json_values,
                "channels": st.lists(json_values, max_size=3),
            }
        )
    )


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies(RULE_KEYS) | bodies(CHANNEL_KEYS), which=st.sampled_from(["rules", "channels"]))
def test_random_json_to_the_create_endpoints_is_never_a_500(member_client, project, channel, body, which):
    url = rules_url(project) if which == "rules" else channels_url(project)
    # json.dumps writes lone surrogates escaped and NaN as NaN (which the API's strict parser refuses: a 400).
    response = member_client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code in (201, 400), (body, response.status_code, response.content[:500])
    if response.status_code == 400:
        assert isinstance(response.json(), dict)
