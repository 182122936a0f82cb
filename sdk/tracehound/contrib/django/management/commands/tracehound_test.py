"""``manage.py tracehound_test``: send one test event now and say whether the server accepted it."""

from django.core.management.base import BaseCommand, CommandError

import tracehound
from tracehound.client import Client, PendingEvent
from tracehound.scope import global_scope

from ... import settings as th_settings


class TracehoundTestError(Exception):
    pass


class Command(BaseCommand):
    help = "Send a test event to the configured Tracehound DSN and report whether it was accepted."

    def add_arguments(self, parser):
        parser.add_argument("--dsn", help="DSN to use instead of the configured one")

    def handle(self, *args, **options):
        client = self._client(options.get("dsn"))
        if not client.enabled:
            raise CommandError(
                "No valid Tracehound DSN: set one on the tracehound.Handler in LOGGING, in "
                'TRACEHOUND["DSN"] or in TRACEHOUND_DSN, or pass --dsn.'
            )
        try:
            raise TracehoundTestError("This is a test event sent by manage.py tracehound_test")
        except TracehoundTestError as exc:
            event = client.exception_event(exc, mechanism="tracehound_test")
            event["logger"] = "tracehound.test"
        status, detail = client.transport.send_now(PendingEvent(client, event, global_scope.snapshot(), None))
        where = client.dsn.envelope_url
        if status is not None and 200 <= status < 300:
            message = "Event %s accepted by %s (HTTP %d)." % (event["event_id"], where, status)
            self.stdout.write(self.style.SUCCESS(message))
            return
        if status is None:
            raise CommandError("Could not reach %s: %s" % (where, detail))
        raise CommandError("The server at %s refused the test event: HTTP %d." % (where, status))

    def _client(self, dsn):
        if dsn:
            return Client(dsn)
        client = tracehound.get_client()
        if client.enabled:
            return client
        for _, value in th_settings.configured_dsns():
            return Client(value)
        return client
