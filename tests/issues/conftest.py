import uuid

import orjson
import pytest
from django.utils import timezone

from issues.models import InboxItem


def exception_event(type_="ValueError", value="bad input", function="handle", **extra) -> dict:
    return {
        "platform": "python",
        "level": "error",
        "exception": {
            "values": [
                {
                    "type": type_,
                    "value": value,
                    "stacktrace": {
                        "frames": [
                            {"module": "app.views", "function": "index", "lineno": 3, "in_app": True},
                            {"module": "app.logic", "function": function, "lineno": 9, "in_app": True},
                        ]
                    },
                }
            ]
        },
        **extra,
    }


def add_to_inbox(project, event: dict | bytes, *, event_id: uuid.UUID | None = None, received_at=None) -> InboxItem:
    """An inbox row as ingest writes it: the event's cleaned JSON bytes, committed by the caller's transaction."""
    event_id = event_id or uuid.uuid4()
    payload = event if isinstance(event, bytes) else orjson.dumps({"event_id": event_id.hex, **event})
    return InboxItem.objects.create(
        project=project, event_id=event_id, payload=payload, received_at=received_at or timezone.now()
    )


@pytest.fixture
def inbox(project):
    def add(event: dict | bytes, **kwargs) -> InboxItem:
        return add_to_inbox(project, event, **kwargs)

    return add
