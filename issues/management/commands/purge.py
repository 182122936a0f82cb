"""Delete a project's events received before a date, and its issues last seen before it (an operator's retention)."""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from issues.retention import purge
from projects.models import Project


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--before: not a date: {text!r} (use 2026-09-01 or 2026-09-01T12:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Delete the events of a project received before a date, and its issues last seen before it, in small "
        "batches; --dry-run counts them instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="project id or slug")
        parser.add_argument("--before", required=True, type=_moment, help="a date or time, UTC unless it says")
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")

    def handle(self, *args, project, before, dry_run, **options):
        found = Project.objects.filter(
            **({"id": int(project)} if project.isascii() and project.isdigit() else {"slug": project})
        )
        target = found.first()
        if target is None:
            raise CommandError(f"no such project: {project}")
        deleted = purge(target.pk, before, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"{target.slug}: {verb} {deleted.events} events received and {deleted.issues} issues last seen before "
            f"{before:%Y-%m-%d %H:%M} UTC"
        )
