"""Inbound filters in the UI and the API: the list with counts, the form and its preview, bad input as form errors
and 400s, switching off, deleting, permissions, and the preview's sample bound."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issues import filter_preview
from issues.inbound_filters import MAX_FILTERS
from issues.models import InboundFilter, InboundFilterDailyCount
from projects.models import TeamMembership
from tests.frontend.factories import add_hourly, event_data, make_event, make_issue, make_user

pytestmark = pytest.mark.django_db

Kind = InboundFilter.Kind


def api(client, method, url, data=None):
    if data is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


def crawler_event(**overrides):
    data = event_data(**overrides)
    data["request"] = {"url": "https://shop.example/", "headers": {"User-Agent": "Googlebot/2.1"}}
    return data


def test_the_list_shows_each_filter_with_what_it_dropped(member_client, project):
    rule = InboundFilter.objects.create(project=project, kind=Kind.RELEASE, pattern="<b>0.*</b>")
    today = timezone.now().date()
    InboundFilterDailyCount.objects.create(inbound_filter=rule, day=today, count=7)
    InboundFilterDailyCount.objects.create(inbound_filter=rule, day=today - timedelta(days=2), count=5)
    InboundFilterDailyCount.objects.create(inbound_filter=rule, day=today - timedelta(days=30), count=100)

    page = member_client.get(reverse("project-filters", args=[project.pk])).content.decode()

    assert "&lt;b&gt;0.*&lt;/b&gt;" in page and "<b>0.*</b>" not in page  # escaped
    assert '<td data-label="Dropped today" class="num dropped-today">7</td>' in page
    assert '<td data-label="Last 7 days" class="num dropped-week">12</td>' in page
    assert (
        reverse("project-filters", args=[project.pk])
        in member_client.get(reverse("project-settings", args=[project.pk])).content.decode()
    )


def test_the_form_previews_without_saving_then_creates(member_client, project):
    crawled = make_issue(project, title="Crawled page")
    other = make_issue(project, title="Real error")
    for _ in range(3):
        make_event(crawled, crawler_event())
    make_event(other, event_data())
    url = reverse("filter-create", args=[project.pk])

    page = member_client.post(url, {"kind": "crawler", "pattern": "", "is_active": "on", "preview": "1"})

    text = page.content.decode()
    assert page.status_code == 200 and not InboundFilter.objects.exists()
    assert page.context["preview"].events == 3 and page.context["preview"].issues == 1
    assert "Crawled page" in text and "Real error" not in text and "Estimated from a sample" not in text

    created = member_client.post(url, {"kind": "crawler", "pattern": "", "is_active": "on"})
    assert created.status_code == 302
    assert InboundFilter.objects.get().kind == "crawler"


@pytest.mark.parametrize(
    ("kind", "pattern", "error"),
    [
        ("client_ip", "10.0.0.0/33", "not an IP address or a CIDR"),
        ("client_ip", "192.168.1.", "not an IP address or a CIDR"),
        ("tag", "browser", "key:value"),
        ("message", "", "needs a pattern"),
        ("level", "loud", "a level is one of"),
    ],
)
def test_bad_patterns_are_form_errors_and_400s(member_client, project, kind, pattern, error):
    page = member_client.post(reverse("filter-create", args=[project.pk]), {"kind": kind, "pattern": pattern})
    assert page.status_code == 200 and error in page.content.decode()
    response = api(member_client, "post", reverse("api-filters", args=[project.pk]), {"kind": kind, "pattern": pattern})
    assert response.status_code == 400 and error in response.json()["pattern"][0]
    assert not InboundFilter.objects.exists()


def test_a_project_holds_a_bounded_number_of_filters(member_client, project):
    InboundFilter.objects.bulk_create(
        InboundFilter(project=project, kind=Kind.RELEASE, pattern=f"{n}.*") for n in range(MAX_FILTERS)
    )
    page = member_client.post(reverse("filter-create", args=[project.pk]), {"kind": "release", "pattern": "x"})
    assert f"at most {MAX_FILTERS} filters" in page.content.decode()
    response = api(member_client, "post", reverse("api-filters", args=[project.pk]), {"kind": "crawler"})
    assert response.status_code == 400 and f"at most {MAX_FILTERS}" in json.dumps(response.json())
    assert InboundFilter.objects.count() == MAX_FILTERS


def test_switch_off_on_edit_and_delete(member_client, project):
    rule = InboundFilter.objects.create(project=project, kind=Kind.ENVIRONMENT, pattern="staging")
    member_client.post(reverse("filter-switch", args=[project.pk, rule.pk]))
    rule.refresh_from_db()
    assert not rule.is_active
    member_client.post(reverse("filter-switch", args=[project.pk, rule.pk]), {"active": "on"})
    rule.refresh_from_db()
    assert rule.is_active
    edit = reverse("filter-edit", args=[project.pk, rule.pk])
    assert 'value="staging"' in member_client.get(edit).content.decode()
    member_client.post(edit, {"kind": "environment", "pattern": "qa"})
    rule.refresh_from_db()
    assert (rule.pattern, rule.is_active) == ("qa", False)
    member_client.post(reverse("filter-delete", args=[project.pk, rule.pk]))
    assert not InboundFilter.objects.exists()


def test_api_crud_and_preview(member_client, project):
    issue = make_issue(project)
    make_event(issue, event_data(environment="staging"))
    base = reverse("api-filters", args=[project.pk])
    created = api(member_client, "post", base, {"kind": "client_ip", "pattern": "10.1.2.3/8"})
    assert created.status_code == 201 and created.json()["pattern"] == "10.0.0.0/8"
    url = reverse("api-filter", args=[project.pk, created.json()["id"]])
    assert api(member_client, "patch", url, {"is_active": False}).json()["is_active"] is False
    assert api(member_client, "patch", url, {"pattern": "10.0.0.0/99"}).status_code == 400
    assert [row["id"] for row in api(member_client, "get", base).json()] == [created.json()["id"]]
    preview = api(
        member_client,
        "post",
        reverse("api-filter-preview", args=[project.pk]),
        {"kind": "environment", "pattern": "staging"},
    ).json()
    assert (preview["events"], preview["issues"], preview["sampled"]) == (1, 1, False)
    assert preview["top"] == [{"issue": issue.pk, "title": issue.title, "events": 1}]
    assert api(member_client, "delete", url).status_code == 204


def test_members_who_are_not_admins_read_only_and_other_teams_see_nothing(client, team, project, foreign_project):
    reader = make_user()
    TeamMembership.objects.create(team=team, user=reader, role=TeamMembership.Role.MEMBER)
    client.force_login(reader)
    assert client.get(reverse("project-filters", args=[project.pk])).status_code == 200
    assert client.get(reverse("filter-create", args=[project.pk])).status_code == 403
    assert api(client, "post", reverse("api-filters", args=[project.pk]), {"kind": "crawler"}).status_code == 403
    foreign = InboundFilter.objects.create(project=foreign_project, kind=Kind.CRAWLER)
    assert client.get(reverse("project-filters", args=[foreign_project.pk])).status_code == 404
    assert client.get(reverse("api-filter", args=[project.pk, foreign.pk])).status_code == 404


def test_a_preview_past_its_sample_says_it_estimates(member_client, project, monkeypatch):
    monkeypatch.setattr(filter_preview, "PREVIEW_SAMPLE", 4)
    issue = make_issue(project)
    for _ in range(6):
        make_event(issue, crawler_event())
    add_hourly(issue, 0, 60)
    page = member_client.post(reverse("filter-create", args=[project.pk]), {"kind": "crawler", "preview": "1"})
    preview = page.context["preview"]
    assert (preview.sampled, preview.examined, preview.window_events, preview.events) == (True, 4, 60, 60)
    assert "Estimated from a sample: the newest 4 of about 60 events" in page.content.decode()


values = st.none() | st.booleans() | st.integers() | st.text(max_size=300) | st.lists(st.text(max_size=5), max_size=3)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(Kind.values) | values,
        "pattern": st.sampled_from(["*", "10.0.0.0/8", "a:b*", "error", "*a" * 120]) | values,
        "is_active": values,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, which=st.sampled_from(["api-filters", "api-filter-preview"]))
def test_random_json_to_the_create_and_preview_endpoints_is_never_a_500(member_client, project, body, which):
    response = api(member_client, "post", reverse(which, args=[project.pk]), body)
    assert response.status_code in (200, 201, 400), (body, response.status_code, response.content[:500])
    InboundFilter.objects.all().delete()


def test_the_admin_checks_a_filter_as_the_form_does(client, project, django_user_model):
    staff = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(staff)
    url = reverse("admin:issues_inboundfilter_add")
    bad = client.post(url, {"project": project.pk, "kind": "client_ip", "pattern": "10.0.0.0/33", "is_active": "on"})
    assert bad.status_code == 200 and "not an IP address or a CIDR" in bad.content.decode()
    good = client.post(url, {"project": project.pk, "kind": "client_ip", "pattern": "10.1.0.0/16", "is_active": "on"})
    assert good.status_code == 302
    assert InboundFilter.objects.get().pattern == "10.1.0.0/16"
    assert client.get(reverse("admin:issues_inboundfilter_changelist")).status_code == 200
