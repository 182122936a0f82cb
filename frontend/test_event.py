"""The "send a test event" button of an empty project: an event that goes the way a client's does, from the inbox
through digest to the live list, so a new user sees the whole path work before wiring up an application."""

import uuid

import orjson
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from frontend import access
from ingest.inbox import insert_rows
from ingest.rows import InboxRow
from issues import handoff
from issues.models import InboxItem

MESSAGE = "Tracehound test event: this project receives events"


@require_POST
@login_required
def send_test_event(request, project_id: int):
    project = access.visible_project(request.user, project_id)
    event_id = uuid.uuid4()
    event = {
        "event_id": event_id.hex,
        "message": MESSAGE,
        "level": "info",
        "platform": "python",
        "logger": "tracehound.test",
        "transaction": "the issue list's test event button",
        "environment": "test",
        "tags": {"sent_by": request.user.get_username()},
    }
    received_at = timezone.now()
    row = InboxRow(project.pk, InboxItem.ItemType.EVENT, event_id, received_at, InboxItem.pack(orjson.dumps(event)))
    insert_rows([row])
    # insert_rows may hold its signal back (one per project every 0.2 s, sent later by the inbox writer's thread,
    # which a web process that never ingested has not started): tell digest directly.
    handoff.events_accepted(project.pk)
    if not request.htmx:
        messages.info(request, "Test event sent: it appears in the list within a second or two.")
    return redirect("project-issues", project.pk)
