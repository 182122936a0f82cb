"""The websocket of a live list or issue page: joins the groups of the projects it shows, pushes re-rendered rows.

Authenticated by the session and origin-checked in config/asgi.py; `connect` refuses a page whose project or
issue the user may not see, so a foreign id never joins a group.
"""

from urllib.parse import parse_qsl

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from frontend.live import render_update, subscribe

LIVE_SOCKET_PATH = "/ws/live/"


def project_group(project_id: int) -> str:
    """The channel group digest publishes a project's changes to."""
    return f"project.{project_id}"


class LiveConsumer(AsyncWebsocketConsumer):
    subscription = None

    async def connect(self):
        query = dict(parse_qsl(self.scope.get("query_string", b"").decode("latin-1")))
        self.subscription = await database_sync_to_async(subscribe)(self.scope.get("user"), query)
        if self.subscription is None:
            await self.close()
            return
        for project_id in self.subscription.project_ids:
            await self.channel_layer.group_add(project_group(project_id), self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.subscription is not None:
            for project_id in self.subscription.project_ids:
                await self.channel_layer.group_discard(project_group(project_id), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        """The page sends nothing that matters; anything received is ignored."""

    async def project_changed(self, message):
        """Digest's hint {"type": "project.changed", "project_id": int, "issue_ids": [int, ...]}."""
        raw_ids = message.get("issue_ids")
        issue_ids = [i for i in raw_ids if isinstance(i, int)] if isinstance(raw_ids, list) else []
        if not issue_ids or message.get("project_id") not in self.subscription.project_ids:
            return
        html = await database_sync_to_async(render_update)(self.scope["user"], self.subscription, issue_ids)
        if html:
            await self.send(text_data=html)
