"""Wake monitors when ingest commits check-ins. Only a wake-up: the sweep applies whatever it misses."""

import logging

from django.conf import settings
from django.dispatch import receiver

from issues.signals import check_ins_accepted
from monitors.runner import monitors_thread
from monitors.tasks import request_check_ins

logger = logging.getLogger(__name__)


@receiver(check_ins_accepted)
def wake_monitors(sender, project_ids, **kwargs):
    try:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            monitors_thread.wake()  # a no-op where no thread runs (management commands, unit tests)
        else:
            request_check_ins()
    except Exception:
        logger.warning("could not wake monitors; the sweep will apply the check-ins", exc_info=True)
