from django.apps import AppConfig
from django.core import checks

from tracehound.client import register_request_extractor

from .checks import check_dsn
from .request import request_from_record


class TracehoundConfig(AppConfig):
    name = "tracehound.contrib.django"
    label = "tracehound"
    verbose_name = "Tracehound error reporting"

    def ready(self):
        checks.register(check_dsn, "tracehound")
        # Errors that django.request logs carry their request, with or without the middleware.
        register_request_extractor(request_from_record)
