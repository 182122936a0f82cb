"""Replay the ingest disk spool into the inbox now (web processes also do so every few seconds: ingest/replayer.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from ingest import spool
from ingest.inbox import digest_signal, insert_rows


class Command(BaseCommand):
    help = "Move events that were spooled to disk while the database was unavailable into the inbox."

    def add_arguments(self, parser):
        parser.add_argument("--if-any", action="store_true", help="say nothing when the spool is empty")

    def handle(self, *args, if_any=False, **options):
        waiting = len(spool.spooled_files())
        if if_any and not waiting:
            return
        try:
            replayed = spool.replay(insert_rows)
            digest_signal.send_held()  # signals held back between files: this process has no housekeeping thread
        except DatabaseError as error:
            raise CommandError(f"the database is still unavailable: {error}") from None
        self.stdout.write(f"replayed {replayed} items from {waiting} spool files ({spool.spool_dir()})")
