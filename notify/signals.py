"""Wake notify when digest (or triage) commits transitions. Only a wake-up: the sweep finds anything it misses."""

import logging

from django.conf import settings
from django.dispatch import receiver

from issues.models import IssueTransition
from issues.signals import transitions_committed
from notify.runner import notify_thread
from notify.tasks import request_notify

logger = logging.getLogger(__name__)


@receiver(transitions_committed, sender=IssueTransition)
def wake_notify(sender, transition_ids, **kwargs):
    try:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            notify_thread.wake()  # a no-op where no thread runs (management commands, unit tests)
        else:
            request_notify()
    except Exception:
        logger.warning("could not wake notify; its sweep will find the transitions", exc_info=True)
