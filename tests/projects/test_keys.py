from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import keys
from projects.models import ProjectKey
from projects.services import create_project


def test_active_key_grants_its_project(project, project_key):
    grant = keys.project_for_key(project.id, project_key.public_key)
    assert grant is not None
    assert grant.project_id == project.id
    assert grant.key_id == project_key.id


def test_unknown_key_is_refused(project):
    assert keys.project_for_key(project.id, "0" * 32) is None


def test_key_of_another_project_is_refused(team, project, project_key):
    other, _ = create_project(team, "Frontend")
    assert keys.project_for_key(other.id, project_key.public_key) is None


def test_revoked_key_is_refused_at_once_in_this_process(project, project_key):
    assert keys.project_for_key(project.id, project_key.public_key) is not None
    project_key.revoke()
    assert keys.project_for_key(project.id, project_key.public_key) is None


def test_revocation_elsewhere_takes_effect_within_the_cache_ttl(settings, project, project_key):
    assert keys.project_for_key(project.id, project_key.public_key) is not None
    # Another process revokes: this process gets no signal, only the database changes.
    ProjectKey.objects.filter(id=project_key.id).update(is_active=False)
    assert keys.project_for_key(project.id, project_key.public_key) is not None  # still cached
    ttl = settings.TRACEHOUND["KEY_CACHE_SECONDS"]
    assert ttl <= 60
    later = keys.time.monotonic() + ttl + 0.1
    with mock.patch.object(keys.time, "monotonic", return_value=later):
        assert keys.project_for_key(project.id, project_key.public_key) is None


def test_cached_lookup_costs_no_query(project, project_key):
    keys.project_for_key(project.id, project_key.public_key)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(100):
            keys.project_for_key(project.id, project_key.public_key)
    assert len(queries) == 0


def test_project_quotas_travel_with_the_grant(project, project_key):
    project.events_per_minute = 10
    project.save()
    project_key.events_per_hour = 500
    project_key.save()
    grant = keys.project_for_key(project.id, project_key.public_key)
    assert (grant.project_events_per_minute, grant.key_events_per_hour) == (10, 500)


def test_dsn_is_built_from_the_base_url(settings, project, project_key):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "BASE_URL": "https://errors.example.com/th"}
    assert project_key.dsn == f"https://{project_key.public_key}@errors.example.com/th/{project.id}"


def test_a_process_that_never_saw_a_key_honours_it_from_the_shared_copy_while_the_database_is_down(
    team, project, project_key
):
    # Another web process looked the key up; this one has nothing cached (its own cache is emptied here).
    keys.project_for_key(project.id, project_key.public_key)
    keys.forget_all()
    assert keys.cached_grant(project.id, project_key.public_key, stale_ok=True) == (False, None)
    hit, grant = keys.grant_while_database_is_down(project.id, project_key.public_key)
    assert hit and grant == keys.KeyGrant(project.id, project_key.id, None, None, None, None)
    # The copy names its project: it grants nothing elsewhere.
    other, _ = create_project(team, "Frontend")
    assert keys.grant_while_database_is_down(other.id, project_key.public_key) == (False, None)


def test_revoking_a_key_drops_its_shared_copy(project, project_key):
    keys.project_for_key(project.id, project_key.public_key)
    project_key.revoke()
    keys.forget_all()
    assert keys.grant_while_database_is_down(project.id, project_key.public_key) == (False, None)


def test_a_key_never_seen_anywhere_is_not_honoured_while_the_database_is_down(project, project_key):
    assert keys.grant_while_database_is_down(project.id, project_key.public_key) == (False, None)
