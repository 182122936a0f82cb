import pytest

from projects.services import create_project, ensure_default_team
from tests.frontend.factories import make_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default hasher costs about half a second per user on this machine; these tests are not about it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def member(team):
    """A user in the default team, which owns the `project` fixture."""
    return make_user(team, "ada")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def foreign_project(db):
    """A project of another team, which `member` must never see."""
    project, _ = create_project(ensure_default_team("Other team"), "Secret project")
    return project
