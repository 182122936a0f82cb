"""Health of the backing services and what each project holds; exit code 1 when anything is unhealthy."""

import json
import sys

from django.core.management.base import BaseCommand
from django.db.models import Count, Q, Sum

from config.health import check_services
from issues.models import InboxItem, Issue, ProjectStorage
from projects.models import IngestOutcome, Project


def project_stats() -> list[dict]:
    issues = {
        row["project_id"]: row
        for row in Issue.objects.values("project_id").annotate(issues=Count("id"), events=Sum("times_seen"))
    }
    inbox = {
        row["project_id"]: row
        for row in InboxItem.objects.filter(item_type=InboxItem.ItemType.EVENT)
        .values("project_id")
        .annotate(pending=Count("id", filter=Q(set_aside=False)), set_aside=Count("id", filter=Q(set_aside=True)))
    }
    outcomes: dict[int, dict[str, int]] = {}
    for project_id, outcome, count in IngestOutcome.objects.values_list("project_id", "outcome", "count"):
        outcomes.setdefault(project_id, {})[outcome] = count
    storage = {row.project_id: row for row in ProjectStorage.objects.all()}
    stats = []
    for project_id, name in Project.objects.order_by("id").values_list("id", "name"):
        stored = storage.get(project_id)
        stats.append(
            {
                "project_id": project_id,
                "name": name,
                "events": issues.get(project_id, {}).get("events") or 0,
                "issues": issues.get(project_id, {}).get("issues", 0),
                "pending": inbox.get(project_id, {}).get("pending", 0),
                "set_aside": inbox.get(project_id, {}).get("set_aside", 0),
                # What ingest did with what the project sent: {"accepted": n, "too_large": n, ...}.
                "outcomes": outcomes.get(project_id, {}),
                # What is on disk, as retention's last sweep measured it (None before its first).
                "stored_events": stored.events if stored else None,
                "stored_bytes": stored.bytes if stored else None,
            }
        )
    return stats


class Command(BaseCommand):
    help = "Show the health of database, cache, channel layer and broker, and per-project event counts."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    def handle(self, *args, **options):
        services = check_services()
        healthy = all(service["ok"] for service in services.values())
        projects = project_stats() if services["database"]["ok"] else []
        if options["json"]:
            self.stdout.write(json.dumps({"healthy": healthy, "services": services, "projects": projects}))
        else:
            for name, service in services.items():
                self.stdout.write(f"{name:14} {'ok ' if service['ok'] else 'FAIL'} {service['detail']}")
            for row in projects:
                self.stdout.write(
                    f"project {row['project_id']:>4} {row['name'][:30]:30} events={row['events']} "
                    f"issues={row['issues']} pending={row['pending']} set_aside={row['set_aside']} "
                    f"stored_events={row['stored_events']} stored_bytes={row['stored_bytes']}"
                )
        if not healthy:
            sys.exit(1)
