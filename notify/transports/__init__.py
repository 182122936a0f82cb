"""One transport per channel kind, behind one interface: turn a Message into one request (or email) and say
what happened, in words a person can act on.

`send(channel, message)` never raises for a failure of the other side: it returns a SendResult, whose `detail` is
kept on the channel and the delivery ("404 from hooks.slack.com: no_service"), and whose `retry` tells the sender
whether trying again later can help (a timeout, a 5xx, a 429) or not (any other 4xx, a refused address).
"""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SendResult:
    ok: bool
    detail: str  # "200 OK", "timed out after 10 s", "404 from hooks.example.com: no_service", ...
    retry: bool = False  # worth another attempt later
    retry_after: float | None = None  # seconds the receiver asked to wait (429 Retry-After), when it said


class Transport(Protocol):
    """What each channel kind implements (notify/transports/<kind>.py)."""

    def send(self, channel, message) -> SendResult: ...
