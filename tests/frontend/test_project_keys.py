"""A project's DSN keys on its settings page: listed to members, created and revoked by team admins only."""

import pytest
from django.urls import reverse

from projects import keys
from projects.models import ProjectKey, TeamMembership
from projects.services import create_key

pytestmark = pytest.mark.django_db


def settings_page(client, project):
    return client.get(reverse("project-settings", args=[project.pk]))


def test_a_project_whose_keys_are_all_revoked_stays_without_a_key(member_client, project, project_key):
    project_key.revoke()
    for url in (reverse("home"), reverse("project-settings", args=[project.pk])):
        response = member_client.get(url)
        assert response.status_code == 200
        assert b"No active key" in response.content or b"has no active key" in response.content, url
    assert not ProjectKey.objects.filter(project=project, is_active=True).exists()
    assert project_key.public_key.encode() in settings_page(member_client, project).content  # listed as revoked


def test_an_admin_creates_a_key_on_purpose_and_its_dsn_is_shown(member_client, project, project_key):
    project_key.revoke()
    response = member_client.post(reverse("create-project-key", args=[project.pk]), {"label": "  worker  "})
    assert response.status_code == 302
    key = ProjectKey.objects.get(project=project, is_active=True)
    assert key.label == "worker"
    assert keys.project_for_key(project.pk, key.public_key) is not None
    assert key.dsn.encode() in settings_page(member_client, project).content


def test_an_admin_revokes_a_key_and_ingest_refuses_it(member_client, project, project_key):
    assert keys.project_for_key(project.pk, project_key.public_key) is not None
    page = settings_page(member_client, project).content.decode()
    assert "within 30 seconds" in page  # what revoking means for the other server processes, said beside it
    response = member_client.post(reverse("revoke-project-key", args=[project.pk, project_key.pk]))
    assert response.status_code == 302
    project_key.refresh_from_db()
    assert not project_key.is_active and project_key.revoked_at is not None
    assert keys.project_for_key(project.pk, project_key.public_key) is None
    assert ProjectKey.objects.filter(project=project).count() == 1  # no replacement made behind the user's back


def test_a_member_who_is_not_a_team_admin_sees_the_keys_but_cannot_change_them(
    member, member_client, project, project_key
):
    TeamMembership.objects.filter(user=member).update(role=TeamMembership.Role.MEMBER)
    page = settings_page(member_client, project).content.decode()
    assert project_key.public_key in page and "Revoke" not in page and "Create key" not in page
    assert member_client.post(reverse("create-project-key", args=[project.pk])).status_code == 403
    assert member_client.post(reverse("revoke-project-key", args=[project.pk, project_key.pk])).status_code == 403
    assert list(ProjectKey.objects.filter(project=project).values_list("is_active", flat=True)) == [True]


def test_keys_of_other_teams_are_not_found(member_client, project, foreign_project):
    foreign_key = foreign_project.keys.get()
    attempts = [
        reverse("create-project-key", args=[foreign_project.pk]),
        reverse("revoke-project-key", args=[foreign_project.pk, foreign_key.pk]),
        # A foreign key under one's own project id is not found either.
        reverse("revoke-project-key", args=[project.pk, foreign_key.pk]),
        reverse("revoke-project-key", args=[project.pk, 999999]),
    ]
    for url in attempts:
        assert member_client.post(url).status_code == 404, url
    assert foreign_project.keys.filter(is_active=True).count() == 1


def test_bad_requests_change_nothing(client, member_client, project, project_key):
    create = reverse("create-project-key", args=[project.pk])
    assert member_client.get(create).status_code == 405
    assert client.post(create).status_code == 302  # anonymous: to the login page
    long_label = member_client.post(create, {"label": "x" * 500})
    assert long_label.status_code == 302
    assert ProjectKey.objects.filter(project=project, label="x" * 64).exists()


def test_revoking_twice_is_harmless(member_client, project):
    key = create_key(project, "spare")
    url = reverse("revoke-project-key", args=[project.pk, key.pk])
    member_client.post(url)
    revoked_at = ProjectKey.objects.get(pk=key.pk).revoked_at
    assert member_client.post(url).status_code == 302
    assert ProjectKey.objects.get(pk=key.pk).revoked_at == revoked_at
