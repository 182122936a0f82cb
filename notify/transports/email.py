"""Email, through Django's mail API: SMTP from EMAIL_URL in production, the console in the embedded default.

One message per alert and recipient, sent over one SMTP connection, with a plain-text and an HTML part. The HTML
part escapes event text and loads nothing from elsewhere (no images, fonts or style sheets).

Threading: every message about one issue names the same root id, `<issue-42@errors.example.com>` (host of
TRACEHOUND_URL), in References and In-Reply-To, so mail clients show an issue's alerts as one conversation; each
message has its own Message-ID, derived from its delivery id, so a retried message is recognisably the same one.

Headers: event text reaches only the Subject, and every control character (CR and LF above all: "\r\nBcc: x"
would add a header) is removed from it first; the other header values are ours.

Recipients: {"to": "team"}: the active users with an email address in the project's teams, less those who turned
off this project's alerts (AlertOptOut); {"to": "addresses", "addresses": [...]}: those addresses.
"""

import re
import smtplib
import ssl
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.html import format_html, format_html_join

from notify.messages import IssueSummary, Message
from notify.models import AlertOptOut
from notify.transports import SendResult
from notify.transports.text import LISTED_ISSUES, cut, issue_facts, more_count, one_line, plain, plain_text
from projects.options import option

SUBJECT_CHARS = 200


class NoRecipients(Exception):
    pass


def recipients_for(channel) -> list[str]:
    """The addresses to send to, deduplicated (case-insensitively), in a stable order; NoRecipients says why not."""
    config = channel.config if isinstance(channel.config, dict) else {}
    to = config.get("to")
    if to == "team":
        user_model = get_user_model()
        opted_out = AlertOptOut.objects.filter(project_id=channel.project_id).values("user_id")
        addresses = (
            user_model.objects.filter(is_active=True, team_memberships__team__projects=channel.project_id)
            .exclude(email="")
            .exclude(pk__in=opted_out)
            .order_by("email")
            .values_list("email", flat=True)
            .distinct()
        )
        why = "no active member of the project's teams has an email address and alerts on"
    elif to == "addresses":
        addresses = config.get("addresses") or []
        addresses = [address for address in addresses if isinstance(address, str) and address.strip()]
        why = "the channel lists no addresses"
    else:
        raise NoRecipients(f"no recipients: the channel's configuration has no valid 'to' ({to!r})")
    unique = {}
    for address in addresses:
        unique.setdefault(address.strip().lower(), address.strip())
    if not unique:
        raise NoRecipients(f"no recipients: {why}")
    return list(unique.values())


def _domain() -> str:
    host = urlsplit(option("BASE_URL")).hostname or "localhost"
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return "localhost"


def _id_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "", text)[:100] or "message"


def thread_root(issue_id: int) -> str:
    """The id every message about issue `issue_id` refers to."""
    return f"<issue-{int(issue_id)}@{_domain()}>"


def message_id(delivery_id: str) -> str:
    return f"<delivery-{_id_part(delivery_id)}@{_domain()}>"


def subject_of(message: Message) -> str:
    """message.subject on one line, without control characters, cut for mail clients."""
    return cut(one_line(message.subject), SUBJECT_CHARS)


def headers_of(message: Message) -> dict[str, str]:
    headers = {
        "Message-ID": message_id(message.delivery_id),
        "X-Tracehound-Delivery": _id_part(message.delivery_id),
        "Auto-Submitted": "auto-generated",  # RFC 3834: no vacation replies to alerts
        "X-Auto-Response-Suppress": "All",
    }
    if message.issue is not None and message.issue.issue_id:
        root = thread_root(message.issue.issue_id)
        headers["References"] = root
        headers["In-Reply-To"] = root
    return headers


def text_body(message: Message, channel_name: str = "") -> str:
    via = f' through the channel "{one_line(channel_name)}"' if channel_name else ""
    return plain_text(message) + f"\n-- \nSent by Tracehound ({option('BASE_URL')}){via}.\n"


_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{}</title></head>'
    '<body style="font-family: sans-serif; font-size: 14px; color: #1f2937; margin: 0; padding: 16px;">{}'
    '<p style="color: #6b7280; font-size: 12px; margin-top: 24px;">Sent by Tracehound{}.</p></body></html>'
)


def _issue_html(message: Message, issue: IssueSummary):
    facts = format_html_join(
        "",
        '<tr><th style="text-align: left; padding: 2px 12px 2px 0;">{}</th><td><bdi>{}</bdi></td></tr>',
        ((label, cut(one_line(value), 500)) for label, value in issue_facts(message, issue)),
    )
    culprit = format_html('<p style="color: #4b5563;"><bdi>{}</bdi></p>', cut(plain(issue.culprit), 2000))
    return format_html(
        '<p style="color: #6b7280; margin: 0;">{} in <bdi>{}</bdi></p>'
        '<h1 style="font-size: 18px; margin: 8px 0;"><bdi>{}</bdi></h1>{}'
        '<table style="border-collapse: collapse; margin: 12px 0;">{}</table>'
        '<p><a href="{}" style="color: #1d4ed8;">Open {}</a></p>',
        one_line(message.headline),
        one_line(message.project_name),
        cut(plain(issue.title), 1000),
        culprit if issue.culprit else "",
        facts,
        issue.url,
        issue.short_id or "the issue",
    )


def _summary_html(message: Message):
    listed = message.issues[:LISTED_ISSUES]
    items = format_html_join(
        "",
        '<li><a href="{}" style="color: #1d4ed8;">{}</a> <bdi>{}</bdi> ({} events)</li>',
        ((issue.url, issue.short_id, cut(one_line(issue.title), 300), f"{issue.times_seen:,}") for issue in listed),
    )
    more = more_count(message, len(listed))
    return format_html(
        '<p style="color: #6b7280; margin: 0;">Project <bdi>{}</bdi></p>'
        '<h1 style="font-size: 18px; margin: 8px 0;">{}</h1><ul>{}</ul>{}{}',
        one_line(message.project_name),
        one_line(message.headline),
        items,
        format_html("<p>and {} more</p>", f"{more:,}") if more else "",
        format_html('<p><a href="{}" style="color: #1d4ed8;">See them all</a></p>', message.list_url)
        if message.list_url
        else "",
    )


def html_body(message: Message, channel_name: str = "") -> str:
    content = _issue_html(message, message.issue) if message.issue is not None else _summary_html(message)
    via = format_html(' through the channel "{}"', one_line(channel_name)) if channel_name else ""
    return format_html(_PAGE, subject_of(message), content, via)


def build_email(channel, message: Message, recipients: list[str], connection=None) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=subject_of(message),
        body=text_body(message, channel.name),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers=headers_of(message),
        connection=connection,
    )
    email.attach_alternative(html_body(message, channel.name), "text/html")
    return email


def _reply(code: int, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return cut(one_line(f"{code} {text}"), 300)


def smtp_result(error: Exception) -> SendResult:
    """An SMTP failure as the sender needs it: 4xx replies and network trouble retry, 5xx replies do not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = error.recipients.values()
        temporary = any(400 <= code < 500 for code, _ in replies)
        said = "; ".join(f"{address}: {_reply(*reply)}" for address, reply in list(error.recipients.items())[:5])
        return SendResult(ok=False, detail=f"the mail server refused every recipient: {said}", retry=temporary)
    if isinstance(error, smtplib.SMTPResponseException):
        temporary = 400 <= error.smtp_code < 500
        kind = "refused the login" if isinstance(error, smtplib.SMTPAuthenticationError) else "answered"
        return SendResult(
            ok=False, detail=f"the mail server {kind}: {_reply(error.smtp_code, error.smtp_error)}", retry=temporary
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return SendResult(ok=False, detail=f"the mail server does not support what EMAIL_URL asks: {error}")
    if isinstance(error, smtplib.SMTPServerDisconnected) and isinstance(error.__context__, TimeoutError):
        error = error.__context__  # smtplib reports a read that timed out as a disconnection
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return SendResult(ok=False, detail=f"the mail server closed the connection: {error}", retry=True)
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = f"the mail server's TLS certificate was not accepted: {error.verify_message}"
        return SendResult(ok=False, detail=detail)
    if isinstance(error, TimeoutError):
        return SendResult(ok=False, detail="the mail server did not answer in time", retry=True)
    if isinstance(error, ConnectionRefusedError):
        return SendResult(ok=False, detail="the mail server refused the connection (is EMAIL_URL right?)", retry=True)
    return SendResult(ok=False, detail=f"sending mail failed: {error or type(error).__name__}", retry=True)


class EmailTransport:
    def send(self, channel, message: Message) -> SendResult:
        try:
            recipients = recipients_for(channel)
        except NoRecipients as error:
            return SendResult(ok=False, detail=str(error))
        # Django's SMTP backend waits EMAIL_TIMEOUT on each socket operation; without one it could wait forever.
        timeout = settings.EMAIL_TIMEOUT or option("ALERT_TOTAL_TIMEOUT_SECONDS")
        connection = get_connection(timeout=timeout)
        try:
            # One message per recipient, so that no member sees the others' addresses. A failure part-way retries
            # them all: the ones already sent arrive again with the same Message-ID, by which mail clients and
            # servers drop them.
            connection.send_messages([build_email(channel, message, [address]) for address in recipients])
        except (smtplib.SMTPException, OSError) as error:
            return smtp_result(error)
        count = len(recipients)
        return SendResult(ok=True, detail=f"sent to {count} recipient{'s' if count != 1 else ''}")
