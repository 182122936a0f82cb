"""`manage.py digest`: digest pending events in this process (operations, benchmarks, a worker without Celery)."""

import time

from django.core.management.base import BaseCommand

from issues.digest import batch_size, digest_until_empty


class Command(BaseCommand):
    help = "Digest pending events: until none is pending (--until-empty), or continuously, polling every second."

    def add_arguments(self, parser):
        parser.add_argument("--until-empty", action="store_true", help="stop when no event is pending")
        parser.add_argument("--batch-size", type=int, default=None, help="events per transaction")

    def handle(self, *args, **options):
        limit = options["batch_size"] or batch_size()
        started = time.monotonic()
        if options["until_empty"]:
            result = digest_until_empty(limit=limit)
            elapsed = time.monotonic() - started
            self.stdout.write(
                f"digested {result.stored} events in {elapsed:.2f} s: {result.new_issues} new issues, "
                f"{result.duplicates} duplicates, {result.failed} failed, "
                f"{result.orphans} of deleted projects dropped, {result.filtered} filtered"
            )
            return
        while True:
            if digest_until_empty(limit=limit).claimed == 0:
                time.sleep(1)
