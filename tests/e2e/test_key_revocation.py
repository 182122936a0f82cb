"""Revoking a key reaches every web process of a running server within KEY_CACHE_SECONDS."""

import time
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from tests.ingest.client import auth, event_envelope

from .conftest import start_server, stop_server

CACHE_SECONDS = 2


@pytest.fixture
def server(transactional_db, tmp_path):
    running = start_server(tmp_path, {"TRACEHOUND_KEY_CACHE_SECONDS": str(CACHE_SECONDS)})
    yield running
    stop_server(running)


def status_of_a_send(server, project_key) -> int:
    url = f"{server.url}/api/{project_key.project_id}/envelope/"
    request = Request(url, data=event_envelope({"message": "hello"}), headers=auth(project_key), method="POST")
    try:
        with urlopen(request, timeout=10) as response:  # a new connection each time: any of the processes answers
            return response.status
    except HTTPError as error:
        return error.code


def test_a_key_revoked_by_another_process_is_refused_by_every_web_process_within_the_cache_time(server, project_key):
    assert {status_of_a_send(server, project_key) for _ in range(20)} == {200}  # every process has it cached now
    project_key.revoke()  # in this process: the server's processes get no signal, only the database changes
    revoked = time.monotonic()
    time.sleep(CACHE_SECONDS)
    statuses = {status_of_a_send(server, project_key) for _ in range(20)}
    assert statuses == {403}, f"{time.monotonic() - revoked:.1f} s after revoking: {statuses}"
