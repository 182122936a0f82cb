"""The one HTTP client for URLs that users give to alert channels (Slack, Discord, webhooks): a POST under the guard
of projects/outbound.py (public addresses only, unless in TRACEHOUND_ALERT_ALLOWED_NETWORKS; the connection pinned
to the checked address), and bounded:

- hard limits: ALERT_CONNECT_TIMEOUT_SECONDS to connect, ALERT_TOTAL_TIMEOUT_SECONDS for everything from the
  first connection attempt to the last byte read;
- redirects are not followed (the next hop would escape the check); the caller gets the status and the Location;
- at most RESPONSE_BODY_CAP bytes of an answer are read, for the error detail;
- failures of the other side (refused, unreachable, timed out, garbled) are results, never exceptions.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from projects import outbound as guard
from projects.options import option
from projects.outbound import InvalidURL, Refused, Target, Unresolvable, parse_url

__all__ = ["InvalidURL", "Refused", "Unresolvable", "Response", "check_address", "check_url", "post"]

USER_AGENT = "Tracehound-Alerts/1.0"
RESPONSE_BODY_CAP = 4096  # bytes of a response read for the error detail
EXCERPT_CHARS = 200  # characters of that body kept in a detail
SETTING = "TRACEHOUND_ALERT_ALLOWED_NETWORKS"


@dataclass(frozen=True)
class Response:
    """What became of one POST: an HTTP answer (`status`), or `failure` saying why there was none."""

    host: str
    status: int | None = None
    reason: str = ""
    excerpt: str = ""  # the start of the body, whitespace collapsed (read for answers other than 2xx)
    retry_after: float | None = None  # seconds, from a Retry-After header in either of its forms
    location: str = ""  # of a redirect
    failure: str = ""  # "refused: ...", "timed out after 10 s", "connection refused by 203.0.113.9:443", ...
    retry: bool = False  # for a failure: whether a later attempt may succeed


def policy() -> guard.Policy:
    return guard.Policy(tuple(option("ALERT_ALLOWED_NETWORKS")), SETTING)


def check_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, host: str = "") -> None:
    """Raise Refused unless `address` is public or inside an allowed network. `host`: the name it came from."""
    guard.check_address(address, host, policy())


def resolve(target: Target) -> list[tuple]:
    return guard.resolve(target, policy())


def check_url(url: str) -> None:
    """The checks of a send, without sending: InvalidURL, Refused or Unresolvable. For forms (channel_config)."""
    resolve(parse_url(url))


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds, or an HTTP date (RFC 9110, 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(min(int(value[:6]), 86_400))  # (a day at most; a 5,000-digit number would not even parse)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, min(when.timestamp() - time.time(), 86_400.0))


def _excerpt(body: bytes) -> str:
    text = "".join(char if char.isprintable() else " " for char in body.decode("utf-8", errors="replace"))
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _exchange(target: Target, sock: socket.socket, body: bytes, headers: dict[str, str]) -> Response:
    connection = http.client.HTTPConnection(target.ascii_host, target.port)
    connection.sock = sock  # already connected (to the checked address) and, for https, wrapped: no lookup here
    try:
        connection.putrequest("POST", target.request_target, skip_host=True, skip_accept_encoding=True)
        all_headers = {
            "Host": target.host_header,
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            "Connection": "close",
        }
        if target.authorization:
            all_headers["Authorization"] = target.authorization
        all_headers.update(headers)
        for name, value in all_headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        answer = connection.getresponse()
        status = answer.status
        body = b""
        if not 200 <= status < 300:
            # The status is the answer; a body cut short by the deadline or the peer only loses detail.
            with contextlib.suppress(OSError, http.client.HTTPException):
                body = answer.read(RESPONSE_BODY_CAP)
        return Response(
            host=target.host,
            status=status,
            reason=answer.reason,
            excerpt=_excerpt(body),
            retry_after=_retry_after(answer.getheader("Retry-After")),
            location=(answer.getheader("Location") or "")[:500],
        )
    finally:
        connection.close()


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> Response:
    """POST `body` (JSON) to `url` under the guard and the time limits above. Never raises for the other side."""
    total = option("ALERT_TOTAL_TIMEOUT_SECONDS")
    try:
        target = parse_url(url)
    except InvalidURL as error:
        return Response(host="", failure=f"invalid URL: {error}")

    def fail(failure: str, retry: bool = True) -> Response:
        return Response(host=target.host, failure=failure, retry=retry)

    try:
        addresses = resolve(target)
    except Refused as error:
        return fail(str(error), retry=False)
    except Unresolvable as error:
        return fail(str(error), retry=True)  # DNS answers change; a typo fails every retry and says so
    deadline = guard.Deadline(total)
    sock = None
    try:
        try:
            sock = guard.connect(addresses, deadline, option("ALERT_CONNECT_TIMEOUT_SECONDS"))
        except TimeoutError:
            return fail(f"could not connect to {target.host} within {option('ALERT_CONNECT_TIMEOUT_SECONDS')} s")
        except OSError as error:
            return fail(f"could not connect to {target.host}:{target.port}: {_os_reason(error)}")
        if target.scheme == "https":
            sock = guard.tls_context().wrap_socket(
                sock, server_hostname=target.ascii_host, do_handshake_on_connect=False
            )
            sock.deadline = deadline
            sock.arm()
            sock.do_handshake()
        return _exchange(target, sock, body, headers or {})
    except ssl.SSLCertVerificationError as error:
        return fail(f"the TLS certificate of {target.host} was not accepted: {error.verify_message}", retry=False)
    except ssl.SSLError as error:
        return fail(f"TLS with {target.host} failed: {error.reason or error}")
    except TimeoutError:
        return fail(f"no complete answer from {target.host} within {total} s")
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        return fail(f"{target.host} closed the connection without answering")
    except http.client.HTTPException as error:
        return fail(f"{target.host} answered something that is not HTTP ({type(error).__name__})")
    except OSError as error:
        return fail(f"talking to {target.host} failed: {_os_reason(error)}")
    finally:
        if sock is not None:
            sock.close()


def _os_reason(error: OSError) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return error.strerror or str(error) or type(error).__name__
