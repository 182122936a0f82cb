"""The live websocket against the real server process and its real channel layer (Redis in production)."""

import time

import pytest
from django.conf import settings
from django.test import Client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from issues import handoff
from tests.frontend.factories import make_user

from ..issues.conftest import add_to_inbox, exception_event

IDLE_SECONDS = 60


def live_socket(server, user, project):
    """A live list socket of `project`, opened with `user`'s session as a browser would."""
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    url = server.url.replace("http://", "ws://") + f"/ws/live/?project={project.pk}&q="
    return connect(url, additional_headers={"Cookie": cookie, "Origin": server.url}, open_timeout=10)


def send_event(project, title: str) -> None:
    error_type, value = title.split(": ", 1)
    add_to_inbox(project, exception_event(type_=error_type, value=value))
    handoff.events_accepted(project.id)  # what ingest calls after its commit (reaches the worker in production)


@pytest.mark.skipif(not settings.REDIS_URL, reason="the socket timeout is Redis's: runs in the PostgreSQL + Redis mode")
def test_a_socket_left_idle_for_a_minute_stays_open_and_still_receives_a_push(tracehound_server, team, project):
    # The Redis channel layer waits for messages with a blocking pop of 5 s; a client whose read timeout is no
    # longer than that gives up first, and the consumer, its receive loop broken, closed the socket.
    user = make_user(team)
    with live_socket(tracehound_server, user, project) as socket:
        opened = time.monotonic()
        try:
            while (left := opened + IDLE_SECONDS - time.monotonic()) > 0:
                with pytest.raises(TimeoutError):  # nothing arrives, and the socket stays open
                    socket.recv(timeout=left)
            send_event(project, "IdleSocketError: after a minute")
            pushed = socket.recv(timeout=10)
        except ConnectionClosed as closed:
            pytest.fail(f"the socket closed after {time.monotonic() - opened:.1f} s: {closed}")
    assert "IdleSocketError: after a minute" in pushed
