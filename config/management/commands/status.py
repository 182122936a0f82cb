"""Health of every component, the background processes' heartbeats and what each project holds (config/status.py,
as the status page shows it); exit code 1 when anything is unhealthy."""

import json
import sys

from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder

from config.status import system_status
from projects.outcomes import FILTERED


def _age(seconds: int | None) -> str:
    return "-" if seconds is None else f"{seconds}s"


class Command(BaseCommand):
    help = "Show the health of each component, the workers' heartbeats, and per-project counts."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    def handle(self, *args, **options):
        status = system_status()
        if options["json"]:
            self.stdout.write(json.dumps(status, cls=DjangoJSONEncoder))
        else:
            for name, component in status["components"].items():
                self.stdout.write(f"{name:14} {'ok ' if component['ok'] else 'FAIL'} {component['detail']}")
            for worker in status["workers"]:
                self.stdout.write(
                    f"{worker['role']:6} {worker['process'][:40]:40} {'alive' if worker['alive'] else 'SILENT'} "
                    f"last heartbeat {worker['seconds_ago']}s ago"
                )
            for row in status["projects"]:
                self.stdout.write(
                    f"project {row['project_id']:>4} {row['name'][:30]:30} events={row['events']} "
                    f"issues={row['issues']} accepted_last_minute={row['accepted_last_minute']} "
                    f"accepted_last_hour={row['accepted_last_hour']} pending={row['pending']} "
                    f"set_aside={row['set_aside']} filtered={row['outcomes'].get(FILTERED, 0)} "
                    f"oldest_pending={_age(row['oldest_pending_seconds'])} "
                    f"last_digest={row['last_digest'].isoformat() if row['last_digest'] else '-'} "
                    f"alerts_sent={row['alerts_sent']} alerts_failed={row['alerts_failed']} "
                    f"stored_events={row['stored_events']} stored_bytes={row['stored_bytes']}"
                )
        if not status["healthy"]:
            sys.exit(1)
