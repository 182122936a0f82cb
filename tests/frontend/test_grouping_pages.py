"""The project's grouping version on its settings page, its upgrade, and "why grouped" on the issue page."""

import pytest
from django.urls import reverse

from issues.digest import digest_until_empty
from issues.grouping import NEWEST
from issues.models import Issue, ProjectGrouping
from projects.models import TeamMembership
from tests.issues.conftest import add_to_inbox, exception_event

pytestmark = pytest.mark.django_db

OLD = "2026-11"


@pytest.fixture
def old_project(project):
    ProjectGrouping.objects.filter(project=project).update(version=OLD)
    return project


def settings_page(client, project) -> str:
    return client.get(reverse("project-settings", args=[project.pk])).content.decode()


def test_a_project_on_an_older_version_offers_the_upgrade_to_its_admins(member_client, old_project):
    page = settings_page(member_client, old_project)
    assert f"grouping version <strong>{OLD}</strong>" in page and f"Upgrade to {NEWEST}" in page
    response = member_client.post(reverse("upgrade-project-grouping", args=[old_project.pk]))
    assert response.status_code == 302
    grouping = ProjectGrouping.objects.get(project=old_project)
    assert (grouping.version, grouping.previous_version) == (NEWEST, OLD)
    page = settings_page(member_client, old_project)
    assert f"Upgraded from {OLD}" in page and "Upgrade to" not in page


def test_only_team_admins_upgrade_and_other_teams_get_a_404(member, member_client, old_project, foreign_project):
    assert member_client.post(reverse("upgrade-project-grouping", args=[foreign_project.pk])).status_code == 404
    TeamMembership.objects.filter(user=member).update(role=TeamMembership.Role.MEMBER)
    assert "Upgrade to" not in settings_page(member_client, old_project)
    assert member_client.post(reverse("upgrade-project-grouping", args=[old_project.pk])).status_code == 403
    assert member_client.get(reverse("upgrade-project-grouping", args=[old_project.pk])).status_code == 405
    assert ProjectGrouping.objects.get(project=old_project).version == OLD


def test_why_grouped_names_the_version_and_the_older_key_that_matched(member_client, old_project):
    add_to_inbox(old_project, exception_event(type_="CheckoutError"))
    digest_until_empty()
    member_client.post(reverse("upgrade-project-grouping", args=[old_project.pk]))
    add_to_inbox(old_project, exception_event(type_="CheckoutError"))
    digest_until_empty()
    issue = Issue.objects.get(project=old_project)
    page = member_client.get(reverse("issue", args=[issue.pk])).content.decode()
    assert f"Grouping version {OLD}" in page and f"Grouping version {NEWEST}" in page
    assert f"because the event's key of version {OLD} belonged to this issue" in page
    assert page.count("type: CheckoutError") >= 3  # both keys, and the older key quoted under the newer one
