"""The websocket of a live list or issue page: joins the groups of the projects it shows, pushes re-rendered rows.

Authenticated by the session and origin-checked in config/asgi.py; `connect` refuses a page whose project or
issue the user may not see, so a foreign id never joins a group. The socket ends with its session
(frontend/live_sessions.py).
"""

from urllib.parse import parse_qsl

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from frontend.live import render_update, subscribe
from frontend.live_sessions import SESSION_ENDED, session_group, session_is_current
from issues.live import group_name

LIVE_SOCKET_PATH = "/ws/live/"


class LiveConsumer(AsyncWebsocketConsumer):
    subscription = None
    session_key = None

    async def connect(self):
        query = dict(parse_qsl(self.scope.get("query_string", b"").decode("latin-1")))
        self.subscription = await database_sync_to_async(subscribe)(self.scope.get("user"), query)
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        if self.subscription is None or not self.session_key:
            await self.close()
            return
        for group in self._groups():
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.subscription is not None and self.session_key:
            for group in self._groups():
                await self.channel_layer.group_discard(group, self.channel_name)

    def _groups(self) -> list[str]:
        return [
            session_group(self.session_key),
            *(group_name(project_id) for project_id in self.subscription.project_ids),
        ]

    async def receive(self, text_data=None, bytes_data=None):
        """The page sends nothing that matters; anything received is ignored."""

    async def session_ended(self, message):
        """The session logged out (frontend/live_sessions.py)."""
        await self.close(code=SESSION_ENDED)

    async def project_changed(self, message):
        """Digest's hint {"type": "project.changed", "project_id": int, "issue_ids": [int, ...]}."""
        raw_ids = message.get("issue_ids")
        issue_ids = [i for i in raw_ids if isinstance(i, int)] if isinstance(raw_ids, list) else []
        if not issue_ids or message.get("project_id") not in self.subscription.project_ids:
            return
        user = self.scope["user"]
        html = await database_sync_to_async(self._render_for_current_session)(user, issue_ids)
        if html is None:
            await self.close(code=SESSION_ENDED)
        elif html:
            await self.send(text_data=html)

    def _render_for_current_session(self, user, issue_ids: list[int]) -> str | None:
        """The update for this page; None when the session that opened the socket has ended since."""
        if not session_is_current(self.session_key, user.pk):
            return None
        return render_update(user, self.subscription, issue_ids)
