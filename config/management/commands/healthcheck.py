"""The checks of /-/health/, for container health checks (compose.yaml, the Dockerfile) and operators: prints each
failing check with its detail and exits 1; prints nothing and exits 0 when all pass."""

import sys

from django.core.management.base import BaseCommand, CommandError

from config.health import CHECKS, run_checks


class Command(BaseCommand):
    help = "Run the health checks of /-/health/; print the failing ones and exit 1 if any fails."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="append", dest="checks", metavar="NAME",
            help=f"run only this check (repeatable); one of: {', '.join(CHECKS)}",
        )  # fmt: skip
        parser.add_argument("--verbose-ok", action="store_true", help="also print the checks that pass")

    def handle(self, *args, checks=None, verbose_ok=False, **options):
        unknown = [name for name in checks or () if name not in CHECKS]
        if unknown:
            raise CommandError(f"unknown check: {', '.join(unknown)} (known: {', '.join(CHECKS)})")
        results = run_checks(checks)
        for name, result in results.items():
            if not result["ok"]:
                self.stdout.write(f"{name}: FAIL {result['detail']}")
            elif verbose_ok:
                self.stdout.write(f"{name}: ok {result['detail']}")
        self.stdout.flush()
        if not all(result["ok"] for result in results.values()):
            sys.exit(1)  # a check still hanging is a daemon thread: it does not hold the exit
