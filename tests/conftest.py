import pytest

from projects.keys import forget_all
from projects.services import create_project, ensure_default_team


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    # The key cache is per process; a test must not see grants cached by another test's rolled-back rows.
    forget_all()
    yield
    forget_all()


@pytest.fixture(autouse=True)
def _static_files_without_collectstatic(settings):
    # Without DEBUG, settings serve hashed names from collectstatic's manifest; pages under test only need the
    # names (the servers that tests/e2e starts use a collected manifest, as a deployment does).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def team(db):
    return ensure_default_team()


@pytest.fixture
def project_and_key(team):
    return create_project(team, "Backend")


@pytest.fixture
def project(project_and_key):
    return project_and_key[0]


@pytest.fixture
def project_key(project_and_key):
    return project_and_key[1]
