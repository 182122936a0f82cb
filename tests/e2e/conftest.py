"""A real Tracehound server process for end-to-end tests.

`tracehound_server` starts the production web server (`python -m config.server`, as compose.yaml and the Dockerfile
do) on a free port against the test database (tests using it must commit their data, so it depends on
`transactional_db`), in the same mode as the test run: embedded (SQLite file, digest in the web process) or
production (PostgreSQL, Redis, and a real `celery -A config worker` with its beat sweep digesting). Its output is
printed when a test fails. `browser` is Debian's chromium driven by Playwright, for the browser tests.
"""

import atexit
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# The web server module of compose.yaml and the Dockerfile, run with `python -m` (it holds uvicorn's options and
# reads its worker count from WEB_CONCURRENCY).
PRODUCTION_SERVER = ["config.server"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_of_test_database() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class RunningServer:
    url: str
    process: subprocess.Popen
    log_path: Path
    env: dict = field(repr=False)

    def dsn(self, project_key) -> str:
        return f"http://{project_key.public_key}@{self.url.split('://', 1)[1]}/{project_key.project_id}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@functools.cache
def collected_static_root() -> str:
    """Static files collected once per test run, as a deployment does: the server runs with DEBUG off and so
    serves them from the collected manifest."""
    root = tempfile.mkdtemp(prefix="tracehound-static-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "STATIC_ROOT": root, "DEBUG": "false", "STATIC_PRECOMPRESS": "false"},
        check=True,
        timeout=120,
    )
    return root


def start_worker(tmp_path: Path, env: dict) -> tuple[subprocess.Popen, Path]:
    """A Celery worker with embedded beat (production shape), doing digest's, notify's and the uptime checks' work
    (production runs them apart: compose.yaml), started when its log says it is ready."""
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "celery,notify,monitors", "--pool", "solo",
             "--beat", "--schedule", str(tmp_path / "beat-schedule"), "--loglevel", "INFO", "--without-mingle",
             "--without-gossip"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"celery worker exited with {process.returncode}:\n{log_path.read_text()}")
        if " ready." in log_path.read_text(errors="replace"):
            return process, log_path
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"celery worker not ready within 30 s:\n{log_path.read_text()}")


def start_server(
    tmp_path: Path, extra_env: dict | None = None, *, wait_for_http: bool = True, ready_path: str = "/accounts/login/"
) -> RunningServer:
    """The production server command on a free port, with its own data folder; by default once `ready_path` answers
    200 (`wait_for_http=False`: at once, for a test of what a server does before any request; a server that refuses
    127.0.0.1 as a host is ready at /-/alive/)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path / "server-data"
    data_dir.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "TRACEHOUND_MODE": os.environ.get(
            "TRACEHOUND_MODE", "production" if connection.vendor != "sqlite" else "embedded"
        ),
        "DATABASE_URL": database_url_of_test_database(),
        "TRACEHOUND_URL": url,
        "TRACEHOUND_DATA_DIR": str(data_dir),
        "DEBUG": "false",
        "STATIC_ROOT": collected_static_root(),
        "STATIC_PRECOMPRESS": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Two processes as in production; the embedded shape's in-memory channel layer and digest thread need one.
        "WEB_CONCURRENCY": "1" if connection.vendor == "sqlite" else "2",
        **(extra_env or {}),
    }
    log_path = tmp_path / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", *PRODUCTION_SERVER, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = RunningServer(url=url, process=process, log_path=log_path, env=env)
    if not wait_for_http:
        return server
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
        try:
            with urlopen(f"{url}{ready_path}", timeout=2) as response:
                if response.status == 200:
                    return server
        except (URLError, OSError):
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not answer within 30 s:\n{server.log()}")


def stop_server(server: RunningServer) -> None:
    stop_process(server.process)


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def server_environment() -> dict:
    """Environment variables the test's server and worker get on top of the defaults (a module overrides this)."""
    return {}


@pytest.fixture
def tracehound_server(transactional_db, tmp_path, request, settings, server_environment):
    server = start_server(tmp_path, server_environment)
    worker = None if settings.CELERY_TASK_ALWAYS_EAGER else start_worker(tmp_path, server.env)
    yield server
    stop_server(server)
    if worker is not None:
        stop_process(worker[0])
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- server log ({server.url}) ---\n{server.log()}")
        if worker is not None:
            print(f"--- worker log ---\n{worker[1].read_text(errors='replace')}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test item so fixtures can tell whether the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# Module scope, not session: Playwright's sync API holds an event loop on the main thread until it stops, and
# every async test run after it would find that loop running.
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("the browser tests need Debian's chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on the test's thread; Django would take every query there for
    # async code. The tests' queries are plain synchronous ones on their own thread, so that guard is lifted.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    )  # fmt: skip
    yield browser
    browser.close()
    playwright.stop()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def watch_csp_violations(context) -> list[str]:
    """Every Content-Security-Policy violation in the context's pages, as the page's event and as the console's
    report (either alone can be missed: the event is not fired for some blocks, the console message not for others)."""
    violations = []
    context.expose_binding("reportCspViolation", lambda source, text: violations.append(text))
    context.add_init_script(
        """document.addEventListener("securitypolicyviolation", (event) => {
            window.reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI} on ${location.href}`);
        }, true);"""
    )
    context.on(
        "console",
        lambda message: "Content Security Policy" in message.text and violations.append(message.text),
    )
    return violations
