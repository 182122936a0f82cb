import pytest

from projects.services import create_project, ensure_default_team
from tests.frontend.alert_factories import make_channel
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


@pytest.fixture
def local_receivers_allowed(settings):
    """Alert receivers on this machine may be used, as TRACEHOUND_ALERT_ALLOWED_NETWORKS=127.0.0.1/32 allows."""
    settings.TRACEHOUND = {**settings.TRACEHOUND, "ALERT_ALLOWED_NETWORKS": ["127.0.0.1/32"]}


@pytest.fixture
def channel(project):
    """A Slack channel of `project`."""
    return make_channel(project, "Ops Slack")
