"""The `tracehound` client as a wheel this server offers for download, so the settings page's install line works
without a package index: `pip install http://errors.lan:8000/sdk/tracehound-0.1.0-py3-none-any.whl`.

The wheel is built from the sdk/ folder the server runs from, by pip, at the first download after sdk/ changed
(a second or two), and kept under the data folder by the content it was built from. Public, like the package it
is: the client holds nothing of any installation.
"""

import hashlib
import shutil
import subprocess
import sys
import tempfile
import threading
import tomllib
from functools import cache
from pathlib import Path

from django.conf import settings

from projects.options import option

SDK_DIR = Path(settings.BASE_DIR) / "sdk"
_build_lock = threading.Lock()


@cache
def wheel_name() -> str:
    """The file name pip expects of the wheel (pure Python, any platform)."""
    project = tomllib.loads((SDK_DIR / "pyproject.toml").read_text())["project"]
    return f"{project['name']}-{project['version']}-py3-none-any.whl"


def built_wheel() -> Path:
    """The wheel of the current sdk/, built now if it was not yet."""
    target = Path(option("DATA_DIR")) / "sdk-wheels" / _content_digest()
    wheel = target / wheel_name()
    if wheel.exists():
        return wheel
    with _build_lock:
        if wheel.exists():
            return wheel
        target.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(dir=target.parent))
        try:
            subprocess.run(
                [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                 "--wheel-dir", str(building), str(SDK_DIR)],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
            building.rename(target)  # whole, or not at all (another process may have won: its wheel is the same)
        except OSError:
            if not wheel.exists():
                raise
        finally:
            shutil.rmtree(building, ignore_errors=True)
    return wheel


def _content_digest() -> str:
    digest = hashlib.sha256()
    files = [SDK_DIR / "pyproject.toml", SDK_DIR / "README.md", *sorted((SDK_DIR / "tracehound").rglob("*.py"))]
    for path in files:
        digest.update(str(path.relative_to(SDK_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
