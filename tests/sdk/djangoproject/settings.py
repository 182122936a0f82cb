"""A minimal Django project using the SDK the way a user would: LOGGING with tracehound.Handler,
the contrib app and the middleware. The DSN comes from the environment (set by the tests)."""

import os

SECRET_KEY = "sdk-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
ROOT_URLCONF = "tests.sdk.djangoproject.urls"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "tracehound.contrib.django",
]
MIDDLEWARE = [
    "tracehound.contrib.django.middleware.TracehoundMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
if os.environ.get("SDK_TEST_NO_MIDDLEWARE") == "1":  # LOGGING only, like a project that skipped the middleware
    MIDDLEWARE = MIDDLEWARE[1:]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
TRACEHOUND = {"SEND_DEFAULT_PII": os.environ.get("SDK_TEST_PII") == "1"}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "tracehound": {
            "class": "tracehound.Handler",
            "dsn": os.environ.get("SDK_TEST_DSN", ""),
            "level": "ERROR",
            "release": "djangoproject@1",
        },
    },
    "root": {"handlers": ["tracehound"], "level": "INFO"},
}
