"""Which transport sends a channel's messages: `transport_for(channel.kind).send(channel, message)`."""

from notify.models import Channel
from notify.transports import Transport
from notify.transports.apprise import AppriseTransport
from notify.transports.discord import DiscordTransport
from notify.transports.email import EmailTransport
from notify.transports.slack import SlackTransport
from notify.transports.webhook import WebhookTransport

TRANSPORTS: dict[str, Transport] = {
    Channel.Kind.EMAIL: EmailTransport(),
    Channel.Kind.SLACK: SlackTransport(),
    Channel.Kind.DISCORD: DiscordTransport(),
    Channel.Kind.WEBHOOK: WebhookTransport(),
    Channel.Kind.APPRISE: AppriseTransport(),
}


def transport_for(kind: str) -> Transport:
    """The transport of a channel kind; LookupError for a kind that has none (a row older than its code?)."""
    try:
        return TRANSPORTS[kind]
    except KeyError:
        raise LookupError(f"no transport for channel kind {kind!r}") from None
