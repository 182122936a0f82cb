"""Settings are read once per process, so each mode is tried in a fresh `manage.py` subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import collected_static_root

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "TRACEHOUND_MODE": "production",
    "DATABASE_URL": "postgres://tracehound@db.internal:5432/tracehound",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "SECRET_KEY": "k" * 20 + "Zq8-u!7mW3xR0pL2vN9yB4cT6sD1fG5hJ" + "e" * 10,
    "TRACEHOUND_URL": "https://errors.example.com",
    "EMAIL_URL": "smtp://alerts:pw@mail.example.com:587",
}
SHOW_SETTINGS = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'mode': s.MODE, 'debug': s.DEBUG, 'engine': s.DATABASES['default']['ENGINE'],"
    "'db_options': s.DATABASES['default'].get('OPTIONS', {}),"
    "'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'cache': s.CACHES['default']['BACKEND'],"
    "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL, 'email': s.EMAIL_BACKEND,"
    "'email_host': getattr(s, 'EMAIL_HOST', None), 'hosts': s.ALLOWED_HOSTS}, default=str))"
)


def manage(*args, env_overrides: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k not in ("DEBUG", "ALLOWED_HOSTS")}
    env.update(TRACEHOUND_DATA_DIR=str(tmp_path), **env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def settings_in(env_overrides: dict, tmp_path: Path) -> dict:
    result = manage("shell", "--no-imports", "-c", SHOW_SETTINGS, env_overrides=env_overrides, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_default_needs_nothing(tmp_path):
    s = settings_in({}, tmp_path)
    assert s["mode"] == "embedded" and s["debug"] is False
    assert s["engine"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in s["db_options"]["init_command"]
    assert s["layer"].endswith("InMemoryChannelLayer") and s["cache"].endswith("LocMemCache")
    assert s["eager"] is True and s["broker"] == "memory://"
    assert s["email"] == "django.core.mail.backends.console.EmailBackend"
    assert (tmp_path / "secret_key").exists()  # generated once, kept with the data, never in the source
    assert s["hosts"] == ["localhost", "127.0.0.1", "[::1]"]  # never "*": the websocket origin check uses it


def test_debug_is_only_on_when_asked_for(tmp_path):
    assert settings_in({"DEBUG": "true"}, tmp_path)["debug"] is True
    assert settings_in({**PRODUCTION, "DEBUG": "true"}, tmp_path)["debug"] is True
    assert settings_in({"DEBUG": "false"}, tmp_path)["debug"] is False


# A request with a foreign Host header and one for an unknown page, as the embedded default answers them when
# started without any setting (`HOST=0.0.0.0 bin/serve`): Django's debug pages would list settings and URL patterns.
REQUEST_ERRORS = (
    "import json; from django.test import Client; c = Client();"
    "answers = [c.get('/', HTTP_HOST='evil.example'), c.get('/no/such/page/', HTTP_HOST='localhost')];"
    "print(json.dumps([[a.status_code, a.content.decode()] for a in answers]))"
)


def test_the_embedded_default_shows_no_debug_page(tmp_path):
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        REQUEST_ERRORS,
        env_overrides={"STATIC_ROOT": collected_static_root(), "STATIC_PRECOMPRESS": "false"},
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (host_status, host_page), (missing_status, missing_page) = json.loads(result.stdout)
    assert host_status == 400 and "<h1>Bad request</h1>" in host_page
    assert missing_status == 404 and "<h1>Not found</h1>" in missing_page
    for page in (host_page, missing_page):
        assert "DisallowedHost" not in page and "ALLOWED_HOSTS" not in page and "SECRET_KEY" not in page
        assert "URLconf" not in page and "api/ui/schema" not in page and str(ROOT) not in page


def test_a_sqlite_database_url_gets_the_same_locking_options(tmp_path):
    s = settings_in({**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/other.sqlite3"}, tmp_path)
    assert "journal_mode=WAL" in s["db_options"]["init_command"]
    assert "busy_timeout" in s["db_options"]["init_command"]
    assert s["db_options"]["transaction_mode"] == "IMMEDIATE"


def test_production_uses_postgres_redis_and_smtp_with_debug_off(tmp_path):
    s = settings_in(PRODUCTION, tmp_path)
    assert s["mode"] == "production" and s["debug"] is False
    assert s["engine"] == "django.db.backends.postgresql"
    assert s["layer"] == "channels_redis.core.RedisChannelLayer"
    assert s["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert s["eager"] is False and s["broker"] == PRODUCTION["REDIS_URL"]
    assert s["email"] == "django.core.mail.backends.smtp.EmailBackend" and s["email_host"] == "mail.example.com"
    assert s["hosts"] == ["errors.example.com"]


@pytest.mark.parametrize(
    "environment",
    [
        PRODUCTION,
        # The least a production start needs: the mode follows from DATABASE_URL, no Redis, no mail server.
        {key: PRODUCTION[key] for key in ("DATABASE_URL", "SECRET_KEY", "TRACEHOUND_URL")},
        {**PRODUCTION, "TRUST_X_FORWARDED_PROTO": "true"},
    ],
    ids=["full", "minimal", "behind-a-proxy"],
)
def test_production_deploy_check_is_clean(tmp_path, environment):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=environment, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "postgres//nohost"),
        ("DATABASE_URL", "mysql://root@localhost/db"),
        ("DATABASE_URL", "postgres://user@db.internal:notaport/tracehound"),
        ("DATABASE_URL", "postgres://user@db.internal:5432/"),
        ("REDIS_URL", "localhost:6379"),
        ("REDIS_URL", "redis://:6379/0"),
        ("REDIS_URL", "redis://cache:port/0"),
        ("EMAIL_URL", "carrier-pigeon://coop"),
        ("SECRET_KEY", ""),
        ("TRACEHOUND_URL", "errors.example.com"),
    ],
)
def test_bad_production_configuration_refuses_to_start_with_one_line(tmp_path, variable, value):
    result = manage("check", env_overrides={**PRODUCTION, variable: value}, tmp_path=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tracehound: configuration error:")
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


def test_a_wsgi_server_is_refused_with_the_way_to_serve_instead():
    # Ingest and the websockets exist only in the ASGI application; a WSGI server would serve half a service.
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "config.asgi:application" in result.stderr and "Traceback" not in result.stderr
