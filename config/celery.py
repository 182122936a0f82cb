"""Celery application.

In the embedded default (no REDIS_URL) tasks run eagerly in the calling process; with REDIS_URL set they go to
the broker and run in `celery -A config worker` processes.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tracehound")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
