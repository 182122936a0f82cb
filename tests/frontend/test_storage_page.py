import pytest
from django.core.management import call_command
from django.urls import reverse

from issues import retention
from tests.frontend.factories import make_event, make_issue

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
