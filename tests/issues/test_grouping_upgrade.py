"""Grouping versions per project, and the upgrade that keeps every issue's events together across a change of rules."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from issues.digest import digest_until_empty
from issues.grouping import NEWEST
from issues.models import Grouping, Issue, ProjectGrouping
from issues.project_grouping import grouping_of, plans, upgrade
from projects.services import create_project

from .conftest import add_to_inbox, exception_event

pytestmark = pytest.mark.django_db

OLD = "2026-11"


@pytest.fixture
def old_project(team):
    """A project on the previous version, as every project made before the newest one is."""
    project, _ = create_project(team, "Legacy shop")
    ProjectGrouping.objects.filter(project=project).update(version=OLD)
    return project


def send(project, type_: str) -> Issue:
    add_to_inbox(project, exception_event(type_=type_))
    digest_until_empty()
    return Issue.objects.filter(project=project).order_by("-last_seen", "-id").first()


def versions_of(issue) -> list[str]:
    return sorted(issue.groupings.values_list("grouping_version", flat=True))


def test_a_new_project_starts_on_the_newest_version(team):
    project, _ = create_project(team, "Fresh")
    assert grouping_of(project.pk).version == NEWEST
    assert plans([project.pk])[project.pk].previous == ""
    issue = send(project, "FreshError")
    assert versions_of(issue) == [NEWEST]


def test_an_upgraded_project_keeps_its_issues_and_the_window_closes(old_project):
    checkout, refund = send(old_project, "CheckoutError"), send(old_project, "RefundError")
    payment = send(old_project, "PaymentError")  # seen before the upgrade, and not again until the window closed
    assert versions_of(checkout) == versions_of(refund) == [OLD]

    assert upgrade(old_project)
    assert not upgrade(old_project)  # already on the newest
    assert plans([old_project.pk])[old_project.pk].previous == OLD

    # The same bugs again: unknown new keys, known old ones: they join their issues, which gain their new keys.
    assert send(old_project, "CheckoutError") == checkout
    assert send(old_project, "RefundError") == refund
    assert versions_of(checkout) == [OLD, NEWEST]
    added = Grouping.objects.get(issue=checkout, grouping_version=NEWEST)
    assert added.matched_previous == Grouping.objects.get(issue=checkout, grouping_version=OLD)
    # Later events find the new key at once; a new bug is a new issue, by the new rules only.
    assert send(old_project, "CheckoutError") == checkout
    assert Grouping.objects.filter(issue=checkout).count() == 2
    assert Issue.objects.get(pk=checkout.pk).times_seen == 3
    shipping = send(old_project, "ShippingError")
    assert shipping not in (checkout, refund) and versions_of(shipping) == [NEWEST]

    # After the window only the new rules run: a bug not seen during it starts a new issue.
    ProjectGrouping.objects.filter(project=old_project).update(upgraded_at=timezone.now() - timedelta(days=31))
    assert plans([old_project.pk])[old_project.pk].previous == ""
    late = send(old_project, "PaymentError")
    assert late != payment and versions_of(late) == [NEWEST]


def test_the_window_only_looks_up_the_previous_version_of_its_own_project(old_project, team):
    other, _ = create_project(team, "Other shop")
    ProjectGrouping.objects.filter(project=other).update(version=OLD)
    theirs = send(other, "SharedError")
    upgrade(old_project)
    mine = send(old_project, "SharedError")
    assert mine != theirs and mine.project_id == old_project.pk


def test_the_command_upgrades_named_projects_or_all(old_project, team):
    other, _ = create_project(team, "Other shop")
    ProjectGrouping.objects.filter(project=other).update(version=OLD)
    out = StringIO()
    call_command("upgrade_grouping", old_project.slug, stdout=out)
    assert f"{old_project.slug}: {OLD} -> {NEWEST}" in out.getvalue()
    assert grouping_of(other.pk).version == OLD
    out = StringIO()
    call_command("upgrade_grouping", stdout=out)
    assert f"{old_project.slug}: already on {NEWEST}" in out.getvalue()
    assert grouping_of(other.pk).version == NEWEST
    with pytest.raises(CommandError, match="no such project: nope"):
        call_command("upgrade_grouping", "nope", str(other.pk))
