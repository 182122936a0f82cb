"""Django integration: add ``"tracehound.contrib.django"`` to INSTALLED_APPS and
``"tracehound.contrib.django.middleware.TracehoundMiddleware"`` to MIDDLEWARE.

Settings (all optional) live in one dict, ``TRACEHOUND = {"DSN": ..., "SEND_DEFAULT_PII": False}``;
the DSN is usually given to the logging handler in LOGGING instead.
"""
