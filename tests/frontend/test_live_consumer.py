"""The live websocket through the real ASGI stack (origin check, session auth) and the real channel layer."""

import pytest
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from config.asgi import application
from frontend.listing import PAGE_SIZE
from frontend.live_sessions import SESSION_ENDED
from frontend.routing import websocket_urlpatterns
from issues import triage
from issues.models import Issue
from projects.models import TeamMembership
from tests.frontend.factories import make_issue, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = settings.TRACEHOUND["BASE_URL"].encode()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def session_cookie(user_or_client) -> bytes:
    client = user_or_client if isinstance(user_or_client, Client) else signed_in(user_or_client)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def connect(path: str, user=None, origin: bytes = ORIGIN):
    """`user`: a user (signed in for this socket alone) or a signed-in test Client whose session the socket uses."""
    headers = [(b"origin", origin)]
    if user is not None:
        headers.append((b"cookie", await database_sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


async def publish(project_id: int, issue_ids):
    await get_channel_layer().group_send(
        f"project.{project_id}", {"type": "project.changed", "project_id": project_id, "issue_ids": issue_ids}
    )


@pytest.fixture(autouse=True)
def _close_connections_of_consumer_threads():
    # The consumer's database calls run on worker threads; with persistent connections (production settings)
    # those would outlive the test and keep the test database from being dropped.
    settings_dict = connection.settings_dict
    kept, settings_dict["CONN_MAX_AGE"] = settings_dict.get("CONN_MAX_AGE", 0), 0
    yield
    settings_dict["CONN_MAX_AGE"] = kept


@pytest.fixture
def setup(team, project, foreign_project):
    member = make_user(team, "ada")
    return {
        "member": member,
        "issue": make_issue(project, title="KeyError: sku"),
        "foreign_issue": make_issue(foreign_project, title="Secret failure"),
    }


async def test_anonymous_is_refused(setup, project):
    communicator, connected = await connect(f"/ws/live/?project={project.pk}")
    assert not connected


async def test_a_foreign_origin_is_refused(setup, project, settings):
    # The embedded default allows every host ("*"), so the check is shown on the same stack with a real host list.
    settings.ALLOWED_HOSTS = ["localhost"]
    stack = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
    cookie = await database_sync_to_async(session_cookie)(setup["member"])
    path = f"/ws/live/?project={project.pk}"
    for origin, allowed in ((b"http://evil.example", False), (b"http://localhost:8000", True)):
        communicator = WebsocketCommunicator(stack, path, headers=[(b"origin", origin), (b"cookie", cookie)])
        connected, _ = await communicator.connect(timeout=5)
        assert connected is allowed, origin
        await communicator.disconnect()


async def test_another_teams_project_or_issue_is_refused(setup, foreign_project):
    for path in (
        f"/ws/live/?project={foreign_project.pk}",
        f"/ws/live/?issue={setup['foreign_issue'].pk}",
        "/ws/live/?project=999999",
        "/ws/live/?project=abc",
        "/ws/live/?issue=1e9",
        "/ws/live/?project=%C2%B2",
    ):
        communicator, connected = await connect(path, setup["member"])
        assert not connected, path


async def test_list_page_receives_the_changed_row_and_the_count(setup, project):
    communicator, connected = await connect(f"/ws/live/?project={project.pk}&q=is%3Aunresolved", setup["member"])
    assert connected
    issue = setup["issue"]
    await database_sync_to_async(Issue.objects.filter(pk=issue.pk).update)(times_seen=77)
    await publish(project.pk, [issue.pk])
    html = await communicator.receive_from(timeout=5)
    assert 'hx-swap-oob="afterbegin:#issue-rows"' in html
    assert f'<tr id="issue-{issue.pk}"' in html and "KeyError: sku" in html and ">77<" in html
    assert '<span id="issue-count" hx-swap-oob="true">1</span>' in html
    await communicator.disconnect()


async def test_a_burst_pushes_at_most_one_page_of_rows(setup, project):
    more = await database_sync_to_async(lambda: [make_issue(project).pk for _ in range(PAGE_SIZE + 5)])()
    communicator, connected = await connect(f"/ws/live/?project={project.pk}", setup["member"])
    assert connected
    await publish(project.pk, [setup["issue"].pk, *more])
    html = await communicator.receive_from(timeout=5)
    assert html.count("<tr id=") == PAGE_SIZE and 'hx-swap-oob="delete"' not in html
    await communicator.disconnect()


async def test_rows_not_matching_the_pages_filter_are_not_pushed(setup, project):
    communicator, connected = await connect(f"/ws/live/?project={project.pk}&level=warning", setup["member"])
    assert connected
    await publish(project.pk, [setup["issue"].pk])
    html = await communicator.receive_from(timeout=5)
    assert "issue-rows" not in html and "KeyError" not in html
    assert f'<tr id="issue-{setup["issue"].pk}" hx-swap-oob="delete"></tr>' in html
    assert '<span id="issue-count" hx-swap-oob="true">0</span>' in html
    await communicator.disconnect()


async def test_other_sorts_and_later_pages_update_rows_in_place(setup, project):
    communicator, connected = await connect(f"/ws/live/?project={project.pk}&sort=times_seen", setup["member"])
    assert connected
    await publish(project.pk, [setup["issue"].pk])
    html = await communicator.receive_from(timeout=5)
    assert "afterbegin" not in html and f'<tr id="issue-{setup["issue"].pk}"' in html
    await communicator.disconnect()


async def test_all_issues_page_hears_only_the_users_projects(setup, project, foreign_project):
    communicator, connected = await connect("/ws/live/", setup["member"])
    assert connected
    await publish(foreign_project.pk, [setup["foreign_issue"].pk])
    assert await communicator.receive_nothing(timeout=0.3)
    # A forged hint naming a foreign issue in the user's own project group renders nothing of it either.
    await publish(project.pk, [setup["foreign_issue"].pk])
    html = await communicator.receive_from(timeout=5)
    assert "Secret failure" not in html and f"issue-{setup['foreign_issue'].pk}" not in html
    await communicator.disconnect()


async def test_issue_page_gets_a_new_events_notice(setup):
    issue = setup["issue"]
    communicator, connected = await connect(f"/ws/live/?issue={issue.pk}", setup["member"])
    assert connected
    await publish(issue.project_id, [issue.pk + 1000])  # another issue of the project: nothing to say
    assert await communicator.receive_nothing(timeout=0.3)
    await database_sync_to_async(Issue.objects.filter(pk=issue.pk).update)(times_seen=4)
    await publish(issue.project_id, [issue.pk])
    html = await communicator.receive_from(timeout=5)
    assert '<div id="new-events" hx-swap-oob="true"' in html and "3 new events since this page was opened" in html
    assert '<dl id="issue-stats" class="stats" hx-swap-oob="true">' in html
    await communicator.disconnect()


async def test_issue_page_buttons_follow_someone_elses_triage(setup):
    issue = setup["issue"]
    communicator, connected = await connect(f"/ws/live/?issue={issue.pk}", setup["member"])
    assert connected
    await database_sync_to_async(Issue.objects.filter(pk=issue.pk).update)(status=Issue.Status.RESOLVED)
    await publish(issue.project_id, [issue.pk])
    html = await communicator.receive_from(timeout=5)
    assert '<span id="issue-action-buttons" hx-swap-oob="true">' in html
    assert 'value="unresolve"' in html and 'value="resolve"' not in html
    await communicator.disconnect()


async def test_a_user_removed_from_the_team_stops_receiving(setup, project):
    communicator, connected = await connect(f"/ws/live/?project={project.pk}", setup["member"])
    assert connected
    await database_sync_to_async(TeamMembership.objects.filter(user=setup["member"]).delete)()
    await publish(project.pk, [setup["issue"].pk])
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


@pytest.mark.parametrize("issue_ids", [None, "1", ["1", None], []])
async def test_malformed_hints_are_ignored(setup, project, issue_ids):
    communicator, connected = await connect(f"/ws/live/?project={project.pk}", setup["member"])
    assert connected
    await publish(project.pk, issue_ids)
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.send_to(text_data='{"anything": 1}')  # the page's own messages are ignored, not an error
    await publish(project.pk, [setup["issue"].pk])
    assert "KeyError" in await communicator.receive_from(timeout=5)
    await communicator.disconnect()


async def test_a_triage_action_reaches_open_lists_and_the_resolved_row_leaves(setup, project):
    communicator, connected = await connect(f"/ws/live/?project={project.pk}&q=is%3Aunresolved", setup["member"])
    assert connected
    issue = setup["issue"]
    await database_sync_to_async(triage.resolve_issues)(Issue.objects.filter(pk=issue.pk), setup["member"])
    html = await communicator.receive_from(timeout=5)  # published by the triage service once it committed
    assert f'<tr id="issue-{issue.pk}" hx-swap-oob="delete"></tr>' in html
    assert '<span id="issue-count" hx-swap-oob="true">0</span>' in html
    await communicator.disconnect()


async def test_logging_out_closes_the_sockets_of_that_session_only(setup, project):
    browser = await database_sync_to_async(signed_in)(setup["member"])
    communicator, connected = await connect(f"/ws/live/?project={project.pk}", browser)
    other_device, other_connected = await connect(f"/ws/live/?project={project.pk}", setup["member"])
    assert connected and other_connected
    await database_sync_to_async(browser.post)("/accounts/logout/")
    closed = await communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": SESSION_ENDED}
    await communicator.disconnect()
    await publish(project.pk, [setup["issue"].pk])
    assert "KeyError" in await other_device.receive_from(timeout=5)  # the user's other session still hears
    await other_device.disconnect()


@pytest.mark.parametrize(
    "end_session",
    [
        pytest.param(lambda user: Session.objects.all().delete(), id="session deleted or expired"),
        pytest.param(lambda user: (user.set_password("changed-pass-word"), user.save()), id="password changed"),
        pytest.param(lambda user: type(user).objects.filter(pk=user.pk).update(is_active=False), id="deactivated"),
    ],
)
async def test_a_session_ended_without_a_logout_gets_no_more_pushes(setup, project, end_session):
    communicator, connected = await connect(f"/ws/live/?project={project.pk}", setup["member"])
    assert connected
    await database_sync_to_async(end_session)(setup["member"])
    await publish(project.pk, [setup["issue"].pk])
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": SESSION_ENDED}
    await communicator.disconnect()
