import json

from django.core.management.base import BaseCommand, CommandError

from projects.models import Team
from projects.services import create_project


class Command(BaseCommand):
    help = "Create a project with a DSN key and print its id and DSN."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--team", help="slug of the owning team (default: the first team)")
        parser.add_argument("--platform", default="python")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    def handle(self, *args, name, team, platform, **options):
        if not name.strip():
            raise CommandError("the project name must not be empty")
        teams = Team.objects.order_by("id")
        owner = teams.filter(slug=team).first() if team else teams.first()
        if owner is None:
            raise CommandError(f"no team {team!r}" if team else "no team exists yet: run `manage.py bootstrap` first")
        project, key = create_project(owner, name.strip(), platform=platform)
        if options["json"]:
            self.stdout.write(json.dumps({"project_id": project.id, "dsn": key.dsn}))
        else:
            self.stdout.write(f"Project {project.name!r} (id {project.id})\n  DSN: {key.dsn}")
