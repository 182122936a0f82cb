"""How ingest tells digest that events are waiting (called after the inbox rows are committed).

The contract ingest relies on: cheap, never blocks on digest work, never raises into the ingest request.
"""


def events_accepted(project_id: int) -> None:
    """Events of `project_id` were committed to the inbox and wait for digest."""
