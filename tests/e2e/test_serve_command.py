"""`bin/serve`, the README's run command, on a fresh data folder: DEBUG is off, so it must collect static files
itself, and the page it serves must get its stylesheets."""

import os
import re
import subprocess
from urllib.error import HTTPError, URLError
from urllib.request import urlopen

from tests.e2e.conftest import ROOT, free_port, stop_process
from tests.waiting import wait_for


def start_serve(tmp_path, port: int) -> subprocess.Popen:
    unset = ("DATABASE_URL", "REDIS_URL", "TRACEHOUND_MODE", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "TRACEHOUND_URL")
    env = {key: value for key, value in os.environ.items() if key not in unset and not key.startswith("STATIC_")}
    env.update(
        TRACEHOUND_DATA_DIR=str(tmp_path / "data"),
        STATIC_ROOT=str(tmp_path / "static"),
        HOST="127.0.0.1",
        PORT=str(port),
        TRACEHOUND_ADMIN_PASSWORD="serve-test-password",
    )
    log = open(tmp_path / f"serve-{port}.log", "ab")  # noqa: SIM115  (closed with the process)
    return subprocess.Popen([str(ROOT / "bin" / "serve")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def login_page(url: str) -> tuple[int, str] | None:
    """The login page's status and HTML, or None while nothing answers."""
    try:
        with urlopen(f"{url}/accounts/login/", timeout=2) as response:
            return response.status, response.read().decode()
    except HTTPError as error:
        return error.code, ""
    except (URLError, OSError):
        return None


def test_bin_serve_collects_static_files_once_and_serves_the_stylesheets(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    manifest = tmp_path / "static" / "staticfiles.json"
    process = start_serve(tmp_path, port)
    try:
        wait_for(lambda: process.poll() is not None or login_page(url), 90)
        status, html = login_page(url) or (None, "")
        assert status == 200, (tmp_path / f"serve-{port}.log").read_text()
        stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
        assert len(stylesheets) == 2 and all(re.search(r"\.[0-9a-f]{12}\.css$", href) for href in stylesheets)
        for href in stylesheets:
            with urlopen(f"{url}{href}", timeout=5) as response:
                assert response.status == 200 and response.headers["Content-Type"].startswith("text/css")
                assert len(response.read()) > 1000
    finally:
        stop_process(process)
    collected_at = manifest.stat().st_mtime_ns

    # Started again with nothing changed, it serves the files collected before instead of collecting them again.
    process = start_serve(tmp_path, port)
    try:
        wait_for(lambda: process.poll() is not None or login_page(url), 90)
        assert (login_page(url) or (None,))[0] == 200
    finally:
        stop_process(process)
    assert manifest.stat().st_mtime_ns == collected_at
