"""Content-Security-Policy on every response Django makes: pages, the admin, the API docs, error pages, static files.

The policy is settings.SECURE_CSP, a dict of directive -> sources: the name and shape of Django 6.0's own CSP
setting, so that moving to its ContentSecurityPolicyMiddleware later is a line in MIDDLEWARE. Until then (Django
5.2 LTS has none) these few lines rather than django-csp: one fixed policy for every page needs no nonces, hashes
or per-view exceptions, because no page has an inline script or style (data for scripts goes through
json_script, htmx's indicator style is turned off by its htmx-config meta tag, the API docs use drf-spectacular's
split view with its script served from a URL), and a library would add a configuration format of its own (django-
csp's changed entirely in its 4.0) for what is one header.

A response that already carries the header keeps it: a view may set a different policy for itself.
"""

from django.conf import settings
from django.utils.deprecation import MiddlewareMixin

HEADER = "Content-Security-Policy"


def policy_header(policy: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    """Sync and async capable (MiddlewareMixin), so that it costs no thread switch under ASGI."""

    def process_response(self, request, response):
        if HEADER not in response:
            response[HEADER] = policy_header(settings.SECURE_CSP)
        return response
