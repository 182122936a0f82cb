"""Creating the things a new installation or a new project needs, each idempotent where its caller needs it."""

from django.db import transaction
from django.utils.text import slugify

from projects.models import Organization, Project, ProjectKey, Team, TeamMembership


def ensure_default_team(name: str = "Default") -> Team:
    organization, _ = Organization.objects.get_or_create(slug=slugify(name), defaults={"name": name})
    team, _ = Team.objects.get_or_create(organization=organization, slug=slugify(name), defaults={"name": name})
    return team


def add_member(team: Team, user, role: str = TeamMembership.Role.ADMIN) -> None:
    TeamMembership.objects.get_or_create(team=team, user=user, defaults={"role": role})


def _free_slug(organization: Organization, name: str) -> str:
    base = slugify(name)[:90] or "project"
    slug, n = base, 1
    while Project.objects.filter(organization=organization, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def create_project(team: Team, name: str, platform: str = "python") -> tuple[Project, ProjectKey]:
    """A new project owned by `team`, with one active DSN key."""
    project = Project.objects.create(
        organization=team.organization, name=name, slug=_free_slug(team.organization, name), platform=platform
    )
    project.teams.add(team)
    key = ProjectKey.objects.create(project=project)
    return project, key


def active_key(project: Project) -> ProjectKey | None:
    """The project's oldest active key; None when every key was revoked (a project may have none: making a new
    one is a deliberate act, `create_key`)."""
    return project.keys.filter(is_active=True).order_by("id").first()


def create_key(project: Project, label: str = "") -> ProjectKey:
    return ProjectKey.objects.create(project=project, label=label.strip() or "Default")
