import pytest
from django.core.management import call_command
from django.urls import reverse

from issues import retention
from tests.frontend.factories import make_event, make_issue, make_user

pytestmark = pytest.mark.django_db


def test_settings_page_and_status_show_the_projects_storage(member_client, project, capsys):
    page = member_client.get(reverse("project-settings", args=[project.pk])).content.decode()
    assert "Not measured yet" in page and "kept for 90 days" in page
    make_event(make_issue(project))
    retention.sweep()
    page = member_client.get(reverse("project-settings", args=[project.pk])).content.decode()
    assert "1 stored event," in page
    with pytest.raises(SystemExit):  # unhealthy: no digest worker runs beside the tests
        call_command("status", "--json")
    output = capsys.readouterr().out
    assert '"stored_events": 1' in output


def test_an_admin_sets_the_stored_events_cap_and_bad_numbers_are_refused(client, team, project):
    client.force_login(make_user(team))  # the team's admin
    admin_member_client = client
    url = reverse("update-noise-settings", args=[project.pk])
    form = {"flood_cap_per_hour": "100", "auto_resolve_days": ""}
    for bad in ("abc", "0", "-5", "100000001", "1e6"):
        response = admin_member_client.post(url, {**form, "stored_events_cap": bad})
        assert response.status_code == 400 and b"stored_events_cap is a whole number" in response.content
    assert admin_member_client.post(url, {**form, "stored_events_cap": "50000"}).status_code == 302
    project.refresh_from_db()
    assert project.stored_events_cap == 50_000
    page = admin_member_client.get(reverse("project-settings", args=[project.pk])).content.decode()
    assert "Past <strong>50,000</strong> stored events the oldest are deleted" in page
    admin_member_client.post(url, {**form, "stored_events_cap": ""})
    project.refresh_from_db()
    assert project.stored_events_cap is None
