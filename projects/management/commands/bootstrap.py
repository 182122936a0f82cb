"""Create what a fresh installation needs to be used at once; safe to run any number of times."""

import json
import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.crypto import get_random_string

from projects.options import option
from projects.services import active_key, add_member, create_project, ensure_default_team

ADMIN_USERNAME = "admin"
FIRST_PROJECT_NAME = "My project"


class Command(BaseCommand):
    help = "Create, if missing, an admin user, an organization, a team and a project; print the URL and DSN."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    @transaction.atomic
    def handle(self, *args, **options):
        password = None
        User = get_user_model()
        user = User.objects.filter(username=ADMIN_USERNAME).first()
        if user is None:
            password = os.environ.get("TRACEHOUND_ADMIN_PASSWORD") or get_random_string(20)
            # An address from the start, so that the first project's alert mail has someone to go to; the account
            # page changes it.
            email = os.environ.get("TRACEHOUND_ADMIN_EMAIL") or f"{ADMIN_USERNAME}@localhost"
            user = User.objects.create_superuser(ADMIN_USERNAME, email=email, password=password)
        team = ensure_default_team()
        add_member(team, user)
        project = team.projects.order_by("id").first()
        if project is None:
            project, key = create_project(team, FIRST_PROJECT_NAME)
        else:
            key = active_key(project)

        result = {"url": option("BASE_URL") + "/", "username": ADMIN_USERNAME}
        if password is not None:
            result["password"] = password
        result.update(project_id=project.id, dsn=key.dsn if key else None)
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write("Tracehound is ready.")
        self.stdout.write(f"  Log in at:  {result['url']}")
        self.stdout.write(f"  Username:   {ADMIN_USERNAME}")
        if password is not None:
            self.stdout.write(f"  Password:   {password}   (shown once)")
        else:
            self.stdout.write("  Password:   unchanged (set when this user was created)")
        if key is None:
            self.stdout.write(
                "  DSN:        none: every key of this project was revoked; create one on its settings page"
            )
        else:
            self.stdout.write(f"  DSN:        {key.dsn}")
