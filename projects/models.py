"""Who owns what: organizations, teams, memberships, projects and their DSN keys.

Access rule used everywhere: a user sees a project when they belong to a team that has it (superusers see all).
"""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone

from projects.options import option


class Organization(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.name


class Team(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="team_slug_unique_per_org")]

    def __str__(self):
        return self.name


class TeamMembership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member"
        ADMIN = "admin"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team_user")]


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The projects `user` may see: through team membership; superusers see every project."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(teams__memberships__user=user).distinct()

    def administered_by(self, user):
        """The projects whose settings and keys `user` may change: as an admin of one of their teams."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(teams__memberships__user=user, teams__memberships__role=TeamMembership.Role.ADMIN).distinct()


class Project(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="projects")
    teams = models.ManyToManyField(Team, related_name="projects", blank=True)
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    platform = models.CharField(max_length=64, default="python")
    created_at = models.DateTimeField(default=timezone.now)
    # Ingest quotas (events accepted per window); null means the service default in TRACEHOUND["QUOTAS"].
    events_per_minute = models.PositiveIntegerField(null=True, blank=True)
    events_per_hour = models.PositiveIntegerField(null=True, blank=True)
    # Digest: replace client IP addresses by a placeholder before storing events.
    scrub_ip_addresses = models.BooleanField(default=False)
    # Digest: at most this many events of one issue are stored per hour (the rest are counted, not kept:
    # issues/flood_cap.py); null: every event is stored.
    flood_cap_per_hour = models.PositiveIntegerField(null=True, blank=True, default=100)
    # An unresolved issue without events for this many days is resolved by the periodic sweep (issues/sweep.py);
    # null: never.
    auto_resolve_days = models.PositiveIntegerField(null=True, blank=True)
    # Retention: past this many stored events, the sweep deletes the oldest (keeping each issue's first and latest
    # events and those a transition names: issues/retention.py); null: only age limits what is kept.
    stored_events_cap = models.PositiveIntegerField(null=True, blank=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="project_slug_unique_per_org")]

    def __str__(self):
        return self.name


def new_public_key() -> str:
    return secrets.token_hex(16)


class ProjectKey(models.Model):
    """A DSN key. Revoking keeps the row (so old events still name their key) but stops ingest accepting it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="keys")
    label = models.CharField(max_length=64, default="Default")
    public_key = models.CharField(max_length=32, unique=True, default=new_public_key)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Per-key quotas on top of the project's; null means no extra limit.
    events_per_minute = models.PositiveIntegerField(null=True, blank=True)
    events_per_hour = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self):
        return f"{self.project} / {self.label}"

    def revoke(self):
        self.is_active = False
        self.revoked_at = timezone.now()
        self.save(update_fields=["is_active", "revoked_at"])

    @property
    def dsn(self) -> str:
        base = urlsplit(option("BASE_URL"))
        return f"{base.scheme}://{self.public_key}@{base.netloc}{base.path.rstrip('/')}/{self.project_id}"


class IngestOutcome(models.Model):
    """How many items ingest received for a project, per outcome ("accepted", "invalid", "too_large",
    "rate_limited", ...), so that what a project sent = accepted + rejected; of the accepted, digest counts those its
    inbound filters dropped as "filtered". Written through projects/outcomes.py, shown by `status`."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=32)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "outcome"], name="one_count_per_project_outcome")]


class IngestOutcomeMinute(models.Model):
    """IngestOutcome per minute, kept for two hours: the status page's events accepted (and refused) in the last
    minute and hour. Written with IngestOutcome, in the same upsert round, by the minute of the flush (counts are
    flushed every second, so an item may count in the minute after it arrived)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    outcome = models.CharField(max_length=32)
    minute = models.DateTimeField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            # Leads with project and minute: the status page's range read per project.
            models.UniqueConstraint(fields=["project", "minute", "outcome"], name="one_count_per_project_minute")
        ]
