from unittest import mock

import pytest
from django.db import OperationalError, connection
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


def test_while_the_database_is_failing_lookups_do_not_wait_on_it(settings, project, project_key):
    """A database that hangs makes every lookup wait for its timeout: after one failure, known keys are served
    from the cache as they are, unknown ones fall back at once, and the database is tried again seconds later."""
    assert keys.project_for_key(project.id, project_key.public_key) is not None
    expired = keys.time.monotonic() + settings.TRACEHOUND["KEY_CACHE_SECONDS"] + 1
    loads = []

    def failing_load(project_id, public_key):
        loads.append(public_key)
        raise OperationalError("connection timeout expired")

    with mock.patch.object(keys, "_load", failing_load), mock.patch.object(keys.time, "monotonic") as clock:
        clock.return_value = expired
        assert keys.cached_grant(project.id, project_key.public_key) == (False, None)  # expired, database fine
        with pytest.raises(OperationalError):
            keys.project_for_key(project.id, project_key.public_key)
        assert keys.database_known_down() and len(loads) == 1
        hit, grant = keys.cached_grant(project.id, project_key.public_key)  # served as it is, no lookup
        assert hit and grant.key_id == project_key.id
        with pytest.raises(keys.DatabaseKnownDown):
            keys.project_for_key(project.id, "f" * 32)  # an unknown key: the fallback, without a query
        assert len(loads) == 1
        clock.return_value = expired + keys.DOWN_SECONDS + 0.1
        assert not keys.database_known_down()
        with pytest.raises(OperationalError):
            keys.project_for_key(project.id, project_key.public_key)
        assert len(loads) == 2  # tried again once the pause is over
