"""The account page: the email address alerts go to, and a switch per visible project for its team email alerts."""

import re

import pytest
from django.urls import reverse

from notify.models import AlertOptOut, Channel
from projects.services import create_project
from tests.frontend.alert_factories import make_channel
from tests.frontend.test_security import BIDI, assert_isolated

pytestmark = pytest.mark.django_db


def switches(html: str) -> dict[int, bool]:
    """Project id -> whether its switch is on, as the page shows them."""
    found = re.findall(r'<input type="checkbox" role="switch" name="email_alerts" value="(\d+)"( checked)?>', html)
    return {int(pk): bool(checked) for pk, checked in found}


def test_the_opt_out_round_trip(member, member_client, project, team, foreign_project):
    second, _ = create_project(team, "Frontend")
    make_channel(project, "Team email", kind=Channel.Kind.EMAIL)
    page = member_client.get(reverse("account")).content.decode()
    assert switches(page) == {project.pk: True, second.pk: True}  # every visible project, on by default
    assert foreign_project.name not in page

    # Switch Backend off: its switch is left out of the form, as a browser does with an unchecked box.
    response = member_client.post(
        reverse("account-alerts"), {"project": [project.pk, second.pk], "email_alerts": [second.pk]}
    )
    assert response.status_code == 302 and response["Location"] == reverse("account")
    assert list(AlertOptOut.objects.values_list("user", "project")) == [(member.pk, project.pk)]
    assert switches(member_client.get(reverse("account")).content.decode()) == {project.pk: False, second.pk: True}

    # Saving again changes nothing; switching it back on removes the opt-out.
    member_client.post(reverse("account-alerts"), {"project": [project.pk, second.pk], "email_alerts": [second.pk]})
    assert AlertOptOut.objects.count() == 1
    member_client.post(
        reverse("account-alerts"), {"project": [project.pk, second.pk], "email_alerts": [project.pk, second.pk]}
    )
    assert not AlertOptOut.objects.exists()
    assert switches(member_client.get(reverse("account")).content.decode()) == {project.pk: True, second.pk: True}


def test_projects_not_listed_or_not_visible_are_left_alone(member, member_client, project, foreign_project):
    AlertOptOut.objects.create(user=member, project=project)
    # A project the form did not list keeps its setting; another team's project and junk ids are ignored.
    response = member_client.post(
        reverse("account-alerts"),
        {"project": [foreign_project.pk, "99999999999999999999999", "x", "²"], "email_alerts": []},
    )
    assert response.status_code == 302
    assert list(AlertOptOut.objects.values_list("project", flat=True)) == [project.pk]
    assert member_client.get(reverse("account-alerts")).status_code == 405


def test_the_email_address_is_shown_and_edited(member, member_client):
    page = member_client.get(reverse("account")).content.decode()
    assert "email alerts cannot reach you" in page
    response = member_client.post(reverse("account"), {"email": "ada@example.com"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.email == "ada@example.com"
    page = member_client.get(reverse("account")).content.decode()
    assert 'value="ada@example.com"' in page and "email alerts cannot reach you" not in page

    bad = member_client.post(reverse("account"), {"email": "ada@"})
    assert bad.status_code == 200 and "email" in bad.context["form"].errors
    assert 'id="id_email_error"' in bad.content.decode()
    member.refresh_from_db()
    assert member.email == "ada@example.com"


def test_the_account_page_is_linked_from_every_page_and_isolates_names(member_client, project):
    project.name = BIDI
    project.save()
    html = member_client.get(reverse("account")).content.decode()
    assert f'href="{reverse("account")}"' in html
    assert_isolated(html, at_least=1)
