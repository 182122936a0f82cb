"""How ingest tells digest that events are waiting (called after the inbox rows are committed).

The contract ingest relies on: cheap, never blocks on digest work, never raises into the ingest request. If the
signal is lost (broker down), the events are still committed: the periodic sweep (production) or the digest
thread's own sweep (embedded) picks them up within seconds.
"""

import logging

from django.conf import settings

from issues.runner import digest_thread
from issues.tasks import request_digest
from projects.outage_log import OutageLog

logger = logging.getLogger(__name__)
# The broker or cache is down: the sweep picks the events up once it is back (said once, then counted).
signal_outage = OutageLog(logger, "signalling digest (the sweep picks the events up later)")


def events_accepted(project_id: int) -> None:
    """Events of `project_id` were committed to the inbox and wait for digest."""
    try:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            digest_thread.wake()  # a no-op where no thread runs (management commands, unit tests)
        else:
            request_digest()
        signal_outage.succeeded()
    except Exception as error:
        signal_outage.failed(error)
