from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One accepted item on its way to the inbox table (or the disk spool)."""

    project_id: int
    item_type: str  # issues.models.InboxItem.ItemType
    event_id: UUID
    received_at: datetime
    payload: bytes  # cleaned JSON, UTF-8, packed by InboxItem.pack (plain JSON in spool files written before that)
