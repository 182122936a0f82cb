"""Tracehound settings: one module, driven by environment variables.

Two shapes:
- embedded (the default when DATABASE_URL is unset): SQLite in WAL mode under TRACEHOUND_DATA_DIR, in-memory
  channel layer and cache, eager Celery, console email. One process, nothing else to run.
- production (DATABASE_URL set, or TRACEHOUND_MODE=production): Postgres, Redis for broker, cache and channel
  layer when REDIS_URL is set, SMTP through EMAIL_URL, SECRET_KEY required.

DEBUG is off in both unless DEBUG=true: the embedded default is also what `HOST=0.0.0.0 bin/serve` puts on a
network, and Django's debug pages show settings, paths, URL patterns and a failing view's local variables.
"""

import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ

from config.environment import ConfigurationError, database_from_url, email_from_url, redis_url, secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

MODE = env.str("TRACEHOUND_MODE", default="production" if env.str("DATABASE_URL", default="") else "embedded")
EMBEDDED = MODE == "embedded"

try:
    if MODE not in ("embedded", "production"):
        raise ConfigurationError(f"TRACEHOUND_MODE must be 'embedded' or 'production', got {MODE!r}")
    DATA_DIR = Path(env.str("TRACEHOUND_DATA_DIR", default=str(BASE_DIR / "data")))
    BASE_URL = env.str("TRACEHOUND_URL", default="http://localhost:8000").rstrip("/")
    if urlsplit(BASE_URL).scheme not in ("http", "https") or not urlsplit(BASE_URL).hostname:
        raise ConfigurationError(f"TRACEHOUND_URL must be an http(s) URL, got {BASE_URL!r}")
    # Only the embedded run may fall back to a generated key, kept in the data folder so sessions survive restarts.
    SECRET_KEY = env.str("SECRET_KEY", default="") if EMBEDDED else secret_key(env, "SECRET_KEY")
    DATABASE_URL_SET = bool(env.str("DATABASE_URL", default=""))
    DATABASES = {"default": database_from_url(env, "DATABASE_URL")} if DATABASE_URL_SET else {}
    REDIS_URL = redis_url(env, "REDIS_URL") if env.str("REDIS_URL", default="") else ""
    EMAIL_CONFIG = email_from_url(env, "EMAIL_URL") if env.str("EMAIL_URL", default="") else {}
    DEBUG = env.bool("DEBUG", default=False)  # development only: see the module docstring
except (ConfigurationError, environ.ImproperlyConfigured) as error:
    # One line on stderr and a non-zero exit: no traceback wall for a configuration mistake.
    sys.exit(f"tracehound: configuration error: {error}")

# Prometheus metrics (config/metrics.py): on when a token is set. The long-running processes then count into files
# of their own under the data folder, which prometheus-client reads this variable for when it is first imported:
# here, before anything imports it. Those are the web server (config/server.py marks its processes), runserver,
# and Celery's workers and beat; a management command (migrate, or the healthcheck compose runs every 30 s) would
# only leave a file per run behind, and counts in memory.
METRICS_TOKEN = env.str("TRACEHOUND_METRICS_TOKEN", default="")
_program = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
METRICS_PROCESS = bool(METRICS_TOKEN) and (
    env.bool("TRACEHOUND_WEB_SERVER", default=False)
    or _program.name == "celery"
    or _program.parts[-2:] == ("celery", "__main__.py")
    or sys.argv[1:2] == ["runserver"]
)
PROMETHEUS_MULTIPROCESS = METRICS_PROCESS and "prometheus_client" not in sys.modules
if PROMETHEUS_MULTIPROCESS:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(DATA_DIR / "metrics" / socket.gethostname())
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

if not SECRET_KEY:
    from config.secret import embedded_secret_key

    SECRET_KEY = embedded_secret_key(DATA_DIR)

# Never "*" by default, even embedded: the websocket origin check trusts exactly these hosts, and "*" would let
# any web page a logged-in user visits open a live connection with their session.
_own_hosts = [urlsplit(BASE_URL).hostname] + (["localhost", "127.0.0.1", "[::1]"] if EMBEDDED else [])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=list(dict.fromkeys(_own_hosts)))
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[BASE_URL])

INSTALLED_APPS = [
    "daphne",  # first, so that `runserver` serves ASGI (websockets) in the embedded default
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "channels",
    "config",
    "projects",
    "issues",
    "ingest",
    "notify",
    "monitors",
    "frontend",
]

MIDDLEWARE = [
    "config.metrics.RequestDurationMiddleware",  # first: times all the others too
    "django.middleware.security.SecurityMiddleware",
    "frontend.csp.ContentSecurityPolicyMiddleware",  # outside WhiteNoise, so static files get the policy too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if not DATABASES:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "tracehound.sqlite3"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Also for a sqlite:// DATABASE_URL (test servers use one). WAL lets readers (the UI) run while digest
    # writes; IMMEDIATE avoids the deadlock of two transactions that both read and then try to upgrade to a write
    # lock, which would otherwise fail at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that hangs (a network partition, a stuck pooler) fails a new connection within seconds instead
    # of holding the request or worker that opened it forever; libpq waits without limit by default.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# Tests use a file even on SQLite, so that a real server process started by a test can open the same database.
_default_test_name = str(DATA_DIR / "test.sqlite3") if DATABASES["default"]["ENGINE"].endswith("sqlite3") else None
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=_default_test_name)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Longer than the channel layer's blocking pop, short enough that a Redis gone silent is noticed.
CHANNEL_LAYER_READ_SECONDS = 30
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # The channel layer waits for a socket's messages with a blocking pop of up to 5 s (channels_redis's
    # brpop_timeout), and redis-py 8 gives up reading after 5 s by default: the read timed out before Redis
    # answered, which ended the consumer and closed every idle websocket after about 5 s. Reads get longer.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": CHANNEL_LAYER_READ_SECONDS}]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Alerts have a queue and a worker of their own (compose.yaml's `notifier`): a channel that hangs holds a send for up
# to 10 s, which must never hold up digest's workers.
# Uptime checks too: a task spends seconds waiting on the network (compose.yaml's `monitor`).
CELERY_TASK_ROUTES = {"notify.tasks.*": {"queue": "notify"}, "monitors.tasks.run_uptime_checks": {"queue": "monitors"}}
# Beat records its ticks (config/celery_heartbeats.py) for the health check "beat".
CELERY_BEAT_SCHEDULER = "config.celery_heartbeats:HeartbeatScheduler"
RETENTION_SWEEP_SECONDS = 3600  # issues/retention.py: beat's schedule and the embedded thread's interval
CELERY_BEAT_SCHEDULE = {
    # Digest tasks are requested as events arrive; this sweep catches what a lost message or a broker outage left.
    "digest-sweep": {"task": "issues.tasks.sweep_inbox", "schedule": 10.0},
    "retention-sweep": {"task": "issues.tasks.sweep_retention", "schedule": float(RETENTION_SWEEP_SECONDS)},
    # Alerts: transitions a lost wake-up left, frequency rules, retries, storm summaries, held notices.
    "notify-sweep": {"task": "notify.tasks.sweep_notify", "schedule": 5.0},
    # Issues: auto-resolve after a project's quiet days, and mutes that re-arm (issues/sweep.py).
    "issues-sweep": {"task": "issues.tasks.sweep_issues_task", "schedule": 60.0},
    # Monitors: missed check-ins and timed-out runs (deadlines are whole minutes), and check-ins a lost wake-up left.
    "monitors-sweep": {"task": "monitors.tasks.sweep_monitors", "schedule": 10.0},
    # Uptime checks that are due (the shortest interval is 30 s; a check is claimed, so runs never overlap).
    "uptime-checks": {"task": "monitors.tasks.run_uptime_checks", "schedule": 5.0},
}

if EMAIL_CONFIG:
    globals().update(EMAIL_CONFIG)  # EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, ... as parsed
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="tracehound@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request when it is missing
# Without DEBUG, files are served from collectstatic's hashed manifest. Pre-compressing every file (gzip and
# brotli) costs about a minute of CPU at collectstatic: deployments want it, throw-away test servers do not.
if DEBUG:
    _static_backend = "django.contrib.staticfiles.storage.StaticFilesStorage"
elif env.bool("STATIC_PRECOMPRESS", default=True):
    _static_backend = "whitenoise.storage.CompressedManifestStaticFilesStorage"
else:
    _static_backend = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": _static_backend},
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tracehound API",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema and its Swagger UI are for signed-in users, like the API they describe.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Several models have a "status" or a "kind": each set of choices gets a name of its own in the schema.
    "ENUM_NAME_OVERRIDES": {
        "IssueStatusEnum": "issues.models.Issue.Status",
        "DeliveryStatusEnum": "notify.models.Delivery.Status",
        "DeliveryKindEnum": "notify.models.Delivery.Kind",
        "ChannelKindEnum": "notify.models.Channel.Kind",
    },
}

# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto so that request.is_secure() is right. (The client
# address behind a proxy is TRACEHOUND["TRUST_X_FORWARDED_FOR"], below.)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SERVES_HTTPS = urlsplit(BASE_URL).scheme == "https"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SERVES_HTTPS and not DEBUG)
SESSION_COOKIE_SECURE = SERVES_HTTPS
CSRF_COOKIE_SECURE = SERVES_HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SERVES_HTTPS and not DEBUG else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Content-Security-Policy of every response (frontend/csp.py; the name and shape of Django 6.0's setting). Nothing
# inline and nothing from elsewhere: scripts, styles, fonts, images and requests from this origin only ('self'
# covers the live websocket on ws:/wss: to the same host), plus data: images (Pico's and Swagger UI's icons), no
# plugins, no <base>, forms post only here, and no page may be framed.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
SILENCED_SYSTEM_CHECKS = [
    # HSTS subdomains/preload are a decision for the domain owner, not for an app on one host of that domain.
    "security.W005",
    "security.W021",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}

# Tracehound's own settings, one namespace. Every key is documented here with its default.
TRACEHOUND = {
    # Public base URL of this service: used in DSNs and links in alerts.
    "BASE_URL": BASE_URL,
    # How long a cached DSN-key lookup is trusted; revoking a key takes effect within this many seconds.
    "KEY_CACHE_SECONDS": env.int("TRACEHOUND_KEY_CACHE_SECONDS", default=30),
    # Where the embedded default keeps its SQLite file, secret key and the ingest disk spool.
    "DATA_DIR": DATA_DIR,
    # Ingest quotas: events accepted per window before answering 429 (None: no limit). A project's own
    # events_per_minute/events_per_hour replace the project defaults; a key's own limits replace the key defaults.
    "QUOTAS": {
        "PROJECT_EVENTS_PER_MINUTE": env.int("TRACEHOUND_PROJECT_EVENTS_PER_MINUTE", default=6_000),
        "PROJECT_EVENTS_PER_HOUR": env.int("TRACEHOUND_PROJECT_EVENTS_PER_HOUR", default=120_000),
        "KEY_EVENTS_PER_MINUTE": None,
        "KEY_EVENTS_PER_HOUR": None,
    },
    # Digest: events per transaction (SQLite keeps them small: its one writer blocks ingest meanwhile), attempts
    # (failed, or ended by the worker dying) before an event is set aside, and how old an event's timestamp may be
    # before it is clamped.
    "DIGEST_BATCH_SIZE": env.int("TRACEHOUND_DIGEST_BATCH_SIZE", default=500),
    "DIGEST_BATCH_SIZE_SQLITE": 100,
    "DIGEST_MAX_ATTEMPTS": env.int("TRACEHOUND_DIGEST_MAX_ATTEMPTS", default=5),
    # Retention (issues/retention.py): events are deleted EVENT_RETENTION_DAYS after they were received, an issue
    # once its last event is that old, its hourly counts (the trend charts) after HOURLY_COUNT_RETENTION_DAYS; the
    # sweep deletes RETENTION_BATCH rows per transaction and runs every RETENTION_SWEEP_SECONDS (set above).
    "EVENT_RETENTION_DAYS": env.int("TRACEHOUND_EVENT_RETENTION_DAYS", default=90),
    "HOURLY_COUNT_RETENTION_DAYS": env.int("TRACEHOUND_HOURLY_COUNT_RETENTION_DAYS", default=365),
    "RETENTION_BATCH": 1000,
    "RETENTION_SWEEP_SECONDS": RETENTION_SWEEP_SECONDS,
    # Escalation (issues/escalation.py): an issue escalates when its events of the current hour number at least
    # ESCALATION_MIN_EVENTS and ESCALATION_FACTOR times its usual hourly rate (its average over the last
    # ESCALATION_BASELINE_HOURS), once it is ESCALATION_MIN_AGE_HOURS old, at most once per ESCALATION_COOLDOWN_HOURS.
    "ESCALATION_FACTOR": 10,
    "ESCALATION_MIN_EVENTS": 50,
    "ESCALATION_BASELINE_HOURS": 7 * 24,
    "ESCALATION_MIN_AGE_HOURS": 24,
    "ESCALATION_COOLDOWN_HOURS": 24,
    # Failed logins on both login pages (ours and the admin's; frontend/login_limits.py): at most
    # FAILURES_PER_USERNAME per user name (case-insensitive) and FAILURES_PER_ADDRESS per client address (IPv6: per
    # /64) in each WINDOW_SECONDS window; past either, the form answers 429 with the time to wait and checks no
    # password until the window ends. A successful login forgets its user name's failures, never its address's.
    "LOGIN_LIMITS": {
        "FAILURES_PER_USERNAME": env.int("TRACEHOUND_LOGIN_FAILURES_PER_USERNAME", default=10),
        "FAILURES_PER_ADDRESS": env.int("TRACEHOUND_LOGIN_FAILURES_PER_ADDRESS", default=30),
        "WINDOW_SECONDS": 60,
    },
    # The client address is the connection's peer (REMOTE_ADDR), unless this is true: then the last entry of
    # X-Forwarded-For, the one a reverse proxy in front appended. Only behind such a proxy: clients can send the
    # header themselves.
    "TRUST_X_FORWARDED_FOR": env.bool("TRUST_X_FORWARDED_FOR", default=False),
    # Days after a project's upgrade to a newer grouping version during which digest still looks up the previous
    # version's keys, so that issues keep their events (issues/project_grouping.py).
    "GROUPING_TRANSITION_DAYS": env.int("TRACEHOUND_GROUPING_TRANSITION_DAYS", default=30),
    # Embedded shape: digest in a thread of the web process (off only for special set-ups and some tests).
    "DIGEST_IN_PROCESS": env.bool("TRACEHOUND_DIGEST_IN_PROCESS", default=True),
    # Alerts (notify/). Outbound requests to channel URLs (Slack, Discord, webhooks) refuse loopback, private,
    # link-local, multicast, reserved, shared and unspecified addresses unless they fall in one of these networks
    # (CIDRs, e.g. "10.0.0.0/8,fd00::/8" for a receiver on the internal network).
    "ALERT_ALLOWED_NETWORKS": env.list("TRACEHOUND_ALERT_ALLOWED_NETWORKS", default=[]),
    # Hard limits of one send: to connect, and for the whole exchange.
    "ALERT_CONNECT_TIMEOUT_SECONDS": 3,
    "ALERT_TOTAL_TIMEOUT_SECONDS": 10,
    # Seconds before each retry of a send that may succeed later (5xx, 429, timeout): six tries over about an hour.
    "ALERT_RETRY_DELAYS_SECONDS": [30, 120, 420, 1200, 1800],
    # A channel with more than ALERT_STORM_MESSAGES alerts within ALERT_STORM_SECONDS sends one summary instead.
    "ALERT_STORM_MESSAGES": env.int("TRACEHOUND_ALERT_STORM_MESSAGES", default=5),
    "ALERT_STORM_SECONDS": 60,
    # At most this many messages per channel per clock hour; the rest are held and announced when the hour ends.
    "ALERT_HOURLY_CAP": env.int("TRACEHOUND_ALERT_HOURLY_CAP", default=60),
    # Transitions older than this are not alerted on when a sweep finds them unhandled (a notify outage's backlog).
    "ALERT_SWEEP_HOURS": 24,
    # Embedded shape: alerts are sent by a thread of the web process (production: Celery tasks and beat).
    "NOTIFY_IN_PROCESS": env.bool("TRACEHOUND_NOTIFY_IN_PROCESS", default=True),
    # Monitors (monitors/): check-ins accepted per monitor per minute; past it the HTTP check-in URLs answer 429 and
    # envelope check-ins are dropped.
    "MONITOR_CHECK_INS_PER_MINUTE": env.int("TRACEHOUND_MONITOR_CHECK_INS_PER_MINUTE", default=60),
    # Uptime checks may reach public addresses, plus these networks (CIDRs, e.g. "10.0.0.0/8,127.0.0.1/32" to watch
    # internal services); link-local and cloud metadata addresses are refused whatever this says.
    "MONITOR_ALLOWED_NETWORKS": env.list("TRACEHOUND_MONITOR_ALLOWED_NETWORKS", default=[]),
    # Uptime checks run at once by one process at most (each waits mostly on the network), and how much of a
    # response is read for keywords.
    "MONITOR_CHECK_CONCURRENCY": env.int("TRACEHOUND_MONITOR_CHECK_CONCURRENCY", default=50),
    "MONITOR_RESPONSE_BYTES": 1024 * 1024,
    # Check-ins and uptime results older than this are deleted by the sweep (the monitors page shows 30 days): 1,000
    # checks a minute write 1.4 million results a day.
    "MONITOR_HISTORY_DAYS": env.int("TRACEHOUND_MONITOR_HISTORY_DAYS", default=31),
    # Embedded shape: check-ins and the sweep in a thread of the web process (production: Celery tasks and beat).
    "MONITORS_IN_PROCESS": env.bool("TRACEHOUND_MONITORS_IN_PROCESS", default=True),
    # Prometheus metrics at /metrics (config/metrics.py): off unless set, then for requests bearing this token.
    "METRICS_TOKEN": METRICS_TOKEN,
    # Tracehound's own health (config/health.py): /-/health/, `manage.py healthcheck`, the status page.
    "HEALTH": {
        # Which checks run (config/health.py CHECKS); "beat" only where Celery beat runs (production).
        "CHECKS": env.list(
            "TRACEHOUND_HEALTH_CHECKS",
            default=["database", "cache", "channel_layer", "broker", "migrations", "digest_backlog", "digest_workers"]
            + ([] if CELERY_TASK_ALWAYS_EAGER else ["beat"])
            + ["alert_delivery", "spool", "disk"],
        ),
        # Each check's deadline: checks run at once, so /-/health/ answers within about this long even when
        # PostgreSQL or Redis hangs. Keep it under the probe's own timeout (load balancers: often 2-5 s).
        "TIMEOUT_SECONDS": env.float("TRACEHOUND_HEALTH_TIMEOUT_SECONDS", default=1.5),
        # Unhealthy past these: the oldest event waiting for digest; the newest heartbeat of digest workers and of
        # beat (they write one every 10 s); an alert delivery due but not tried; a disk-spool file not replayed.
        "DIGEST_BACKLOG_SECONDS": env.int("TRACEHOUND_HEALTH_DIGEST_BACKLOG_SECONDS", default=300),
        "HEARTBEAT_STALE_SECONDS": env.int("TRACEHOUND_HEALTH_HEARTBEAT_STALE_SECONDS", default=60),
        "DELIVERY_STUCK_SECONDS": env.int("TRACEHOUND_HEALTH_DELIVERY_STUCK_SECONDS", default=900),
        "SPOOL_MAX_AGE_SECONDS": env.int("TRACEHOUND_HEALTH_SPOOL_MAX_AGE_SECONDS", default=300),
        # Free space the data folder (SQLite, disk spool) must keep.
        "MIN_FREE_DISK_MB": env.int("TRACEHOUND_HEALTH_MIN_FREE_DISK_MB", default=500),
    },
}
