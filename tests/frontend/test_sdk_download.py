import subprocess
import sys
import zipfile

import pytest
from django.urls import reverse

from frontend import sdk_download

pytestmark = pytest.mark.django_db


def test_the_settings_page_install_line_downloads_a_wheel_pip_installs(member_client, project, project_key, tmp_path):
    page = member_client.get(reverse("project-settings", args=[project.pk])).content.decode()
    name = sdk_download.wheel_name()
    url = f"http://localhost:8000/sdk/{name}"  # TRACEHOUND_URL's default in tests
    assert f'pip install "{url}"' in page

    response = member_client.get(f"/sdk/{name}")  # no login needed: pip fetches it from application servers
    response.client.logout()
    assert response.status_code == 200
    wheel = tmp_path / name
    wheel.write_bytes(b"".join(response.streaming_content))
    assert "tracehound/handler.py" in zipfile.ZipFile(wheel).namelist()
    # pip takes it as a package, into a fresh environment.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        timeout=120,
    )
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import tracehound; print(tracehound.Handler.__name__)"],
        env={"PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "Handler"


def test_other_file_names_are_not_found(client):
    assert client.get("/sdk/tracehound-9.9.9-py3-none-any.whl").status_code == 404
    assert client.get("/sdk/..%2fsettings.py").status_code == 404
