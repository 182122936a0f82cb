"""How ingest tells digest that events are waiting (called after the inbox rows are committed).

The contract ingest relies on: cheap, never blocks on digest work, never raises into the ingest request. If the
signal is lost (broker down), the events are still committed: the periodic sweep (production) or the digest
thread's own sweep (embedded) picks them up within seconds.
"""

import logging

from django.conf import settings

from issues.runner import digest_thread
from issues.signals import check_ins_accepted as check_ins_signal
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


def check_ins_accepted(project_ids: set[int]) -> None:
    """Check-ins of `project_ids` were committed to the inbox: wake monitors (which subscribe to the signal)."""
    for receiver, response in check_ins_signal.send_robust(sender=None, project_ids=project_ids):
        if isinstance(response, Exception):
            logger.warning("check_ins_accepted receiver %r failed; its sweep will pick them up", receiver)
