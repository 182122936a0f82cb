"""Move projects to the newest grouping version (all of them, or those named by id or slug)."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from issues.grouping import NEWEST
from issues.project_grouping import grouping_of, transition_ends, upgrade
from projects.models import Project


class Command(BaseCommand):
    help = (
        f"Upgrade projects to grouping version {NEWEST}. For a transition window afterwards, events whose new key "
        "is unknown still join the issue their previous key belongs to."
    )

    def add_arguments(self, parser):
        parser.add_argument("projects", nargs="*", help="project ids or slugs (default: every project)")

    def handle(self, *args, **options):
        projects = Project.objects.order_by("id")
        if options["projects"]:
            wanted = Q()
            for name in options["projects"]:
                wanted |= Q(id=int(name)) if name.isascii() and name.isdigit() else Q(slug=name)
            projects = projects.filter(wanted)
            found = {str(project.id) for project in projects} | {project.slug for project in projects}
            unknown = [name for name in options["projects"] if name not in found]
            if unknown:
                raise CommandError(f"no such project: {', '.join(unknown)}")
        for project in projects:
            if upgrade(project):
                grouping = grouping_of(project.pk)
                ends = transition_ends(grouping)
                self.stdout.write(
                    f"{project.slug}: {grouping.previous_version} -> {NEWEST}; issues keep their events through "
                    f"{ends:%Y-%m-%d %H:%M} UTC"
                )
            else:
                self.stdout.write(f"{project.slug}: already on {NEWEST}")
