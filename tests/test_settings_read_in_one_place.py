"""Tracehound's own settings have one definition (config/settings.py) and one accessor (projects.options)."""

from pathlib import Path

import pytest

from projects.options import option

ROOT = Path(__file__).resolve().parents[1]
APPS = ["projects", "ingest", "issues", "notify", "monitors", "frontend"]


def test_no_app_reads_the_settings_dict_around_the_accessor():
    offenders = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "settings.TRACEHOUND" in path.read_text()
    ]
    assert offenders == ["projects/options.py"]


def test_the_accessor_reads_the_current_value_and_names_an_unknown_setting(settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "DIGEST_MAX_ATTEMPTS": 9}
    assert option("DIGEST_MAX_ATTEMPTS") == 9
    with pytest.raises(KeyError, match="NO_SUCH_SETTING"):
        option("NO_SUCH_SETTING")
