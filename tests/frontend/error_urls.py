"""The real URLs plus views that fail in each way an error page answers, for tests/frontend/test_error_pages.py."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from config.urls import urlpatterns as real_urlpatterns

SECRET_LOCAL = "local-value-only-the-debug-page-would-show"


def forbidden(request):
    raise PermissionDenied("reason for the log only: /srv/tracehound/secret")


def suspicious(request):
    raise SuspiciousOperation("reason for the log only: /srv/tracehound/secret")


def failing(request):
    api_token = SECRET_LOCAL  # noqa: F841  (a local that Django's debug page would list)
    raise RuntimeError("reason for the log only: /srv/tracehound/secret")


urlpatterns = [
    path("test-errors/forbidden/", forbidden),
    path("test-errors/suspicious/", suspicious),
    path("test-errors/failing/", failing),
    *real_urlpatterns,
]
