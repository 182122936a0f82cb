"""Apprise: one channel kind for the many services the `apprise` library speaks (Telegram, ntfy, Pushover, Matrix,
Teams, ...), configured as Apprise URLs: {"urls": ["tgram://bottoken/chat", ...]}.

Staff only (notify.channel_config.STAFF_ONLY_KINDS): Apprise resolves and connects by itself, outside
notify.outbound, so its URLs are not held to the SSRF guard, and some of its schemes reach local things (syslog,
desktop notifications, an SMTP server of the URL's choosing). A person who can make such a channel can make this
server send requests anywhere, so only staff can.

Apprise tells whether a notification went out, not why it did not (no status code, no retry hint): a failure is
reported with the last lines Apprise logged, and retried, since it may as well be passing.
"""

import apprise as apprise_library

from notify.messages import Message
from notify.transports import SendResult
from notify.transports.text import cut, one_line, plain_text
from projects.options import option

TITLE_CHARS = 250
BODY_CHARS = 4000


def _service(url: str, asset):
    service = apprise_library.Apprise.instantiate(url, asset=asset)
    if service is not None:
        # Apprise's defaults are 4 s to connect and 4 s per read, per service; ours apply.
        service.socket_connect_timeout = float(option("ALERT_CONNECT_TIMEOUT_SECONDS"))
        service.socket_read_timeout = float(option("ALERT_TOTAL_TIMEOUT_SECONDS"))
    return service


def new_asset():
    # Memory only: Apprise would otherwise keep per-service state in files of its own.
    return apprise_library.AppriseAsset(storage_mode=apprise_library.PersistentStoreMode.MEMORY)


def can_use(url: str) -> bool:
    """Whether Apprise understands `url` (a known scheme with what that service needs)."""
    return apprise_library.Apprise.instantiate(url, asset=new_asset()) is not None


def _log_lines(result) -> str:
    lines = [one_line(entry.message) for entry in result.logs() if entry.level in ("WARNING", "ERROR", "CRITICAL")]
    return cut("; ".join(lines[-3:]), 500)


class AppriseTransport:
    def send(self, channel, message: Message) -> SendResult:
        config = channel.config if isinstance(channel.config, dict) else {}
        urls = [url for url in config.get("urls") or [] if isinstance(url, str) and url.strip()]
        asset = new_asset()
        services = [_service(url.strip(), asset) for url in urls]
        unusable = sum(service is None for service in services)
        if not urls or unusable == len(services):
            return SendResult(ok=False, detail="no Apprise URL of this channel can be used (edit the channel)")
        notifier = apprise_library.Apprise(asset=asset)
        for service in services:
            if service is not None:
                notifier.add(service)
        result = notifier.notify(
            title=cut(one_line(message.subject), TITLE_CHARS),
            body=cut(plain_text(message), BODY_CHARS),
            body_format=apprise_library.NotifyFormat.TEXT,
            timeout=option("ALERT_TOTAL_TIMEOUT_SECONDS"),
        )
        skipped = f" ({unusable} of its URLs cannot be used)" if unusable else ""
        if result:
            return SendResult(ok=True, detail=f"Apprise reported success{skipped}")
        if result.status == apprise_library.AppriseResultStatus.TIMEOUT:
            total = option("ALERT_TOTAL_TIMEOUT_SECONDS")
            return SendResult(ok=False, detail=f"Apprise did not finish within {total} s{skipped}", retry=True)
        said = _log_lines(result)
        return SendResult(
            ok=False,
            detail=f"Apprise reported failure (it tells no more than success or failure{': ' + said if said else ''})"
            f"{skipped}",
            retry=True,
        )
