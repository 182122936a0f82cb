"""One uptime check's HTTP request: GET, HEAD or POST to a URL the project chose, under projects/outbound.py's
guard with the monitors' policy (link-local and cloud metadata addresses always refused; loopback and private
networks only inside TRACEHOUND_MONITOR_ALLOWED_NETWORKS), the address checked after DNS and connected to as
checked, at every redirect followed too.

It measures what a check judges: the status, the time to the response's head, the body's first
MONITOR_RESPONSE_BYTES (for keywords), and for https the certificate's expiry; a certificate that is expired, for
another name or not from a trusted authority fails the handshake, with the reason. Failures of the other side are
results, never exceptions.
"""

import contextlib
import http.client
import socket
import ssl
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urljoin

from projects import outbound as guard
from projects.options import option

USER_AGENT = "Tracehound-Uptime/1.0"
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
CONNECT_SECONDS_AT_MOST = 10.0


@dataclass(frozen=True)
class Outcome:
    status: int | None = None
    response_ms: float | None = None
    body: bytes = b""
    certificate_expires_at: datetime | None = None
    failure: str = ""  # why there is no answer: refused, timed out, TLS, ...


def policy() -> guard.Policy:
    return guard.Policy(
        tuple(option("MONITOR_ALLOWED_NETWORKS")), "TRACEHOUND_MONITOR_ALLOWED_NETWORKS", never_link_local=True
    )


def check_url(url: str) -> None:
    """The checks of a request, without sending: InvalidURL, Refused or Unresolvable (for forms)."""
    guard.resolve(guard.parse_url(url), policy())


def fetch(url: str, method: str, headers: dict, body: bytes, timeout: float, follow_redirects: bool) -> Outcome:
    """The answer to `method url`, following up to MAX_REDIRECTS redirects when asked, all within `timeout`. The
    response time adds up each hop's time to its response head."""
    deadline = guard.Deadline(timeout)
    elapsed_ms = 0.0
    for _ in range(MAX_REDIRECTS + 1):
        outcome, location = _one_request(url, method, headers, body, deadline, timeout)
        elapsed_ms += outcome.response_ms or 0.0
        if outcome.failure or not (follow_redirects and location and outcome.status in REDIRECTS):
            return replace(outcome, response_ms=elapsed_ms) if outcome.status is not None else outcome
        url = urljoin(url, location)
        if outcome.status == 303:
            method, body = "GET", b""
    return Outcome(failure=f"more than {MAX_REDIRECTS} redirects")


def _one_request(url, method, headers, body, deadline, timeout) -> tuple[Outcome, str]:
    try:
        target = guard.parse_url(url)
        addresses = guard.resolve(target, policy())
    except (guard.InvalidURL, guard.Refused, guard.Unresolvable) as error:
        return Outcome(failure=str(error)), ""
    started = time.monotonic()
    sock = None
    expires = None
    try:
        try:
            sock = guard.connect(addresses, deadline, min(timeout, CONNECT_SECONDS_AT_MOST))
        except TimeoutError:
            return Outcome(failure=f"could not connect to {target.host} within {timeout:g} s"), ""
        except OSError as error:
            return Outcome(failure=f"could not connect to {target.host}:{target.port}: {_reason(error)}"), ""
        if target.scheme == "https":
            sock = guard.tls_context().wrap_socket(
                sock, server_hostname=target.ascii_host, do_handshake_on_connect=False
            )
            sock.deadline = deadline
            sock.arm()
            sock.do_handshake()
            expires = _not_after(sock.getpeercert())
        connection = http.client.HTTPConnection(target.ascii_host, target.port)
        connection.sock = sock  # connected to the checked address (and wrapped): no second lookup
        connection.putrequest(method, target.request_target, skip_host=True, skip_accept_encoding=True)
        sent = {"Host": target.host_header, "User-Agent": USER_AGENT, "Connection": "close"}
        if target.authorization:
            sent["Authorization"] = target.authorization
        if method == "POST":
            sent["Content-Length"] = str(len(body))
        sent.update(headers)
        for name, value in sent.items():
            connection.putheader(name, value)
        connection.endheaders(body if method == "POST" else None)
        answer = connection.getresponse()
        response_ms = (time.monotonic() - started) * 1000
        content = b""
        if method != "HEAD":
            with contextlib.suppress(OSError, http.client.HTTPException):
                content = answer.read(option("MONITOR_RESPONSE_BYTES"))
        location = answer.getheader("Location") or ""
        return Outcome(answer.status, response_ms, content, expires), location
    except ssl.SSLCertVerificationError as error:
        return Outcome(failure=f"the TLS certificate of {target.host} was not accepted: {error.verify_message}"), ""
    except ssl.SSLError as error:
        return Outcome(failure=f"TLS with {target.host} failed: {error.reason or error}"), ""
    except TimeoutError:
        return Outcome(failure=f"no answer from {target.host} within {timeout:g} s"), ""
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        return Outcome(failure=f"{target.host} closed the connection without answering"), ""
    except http.client.HTTPException as error:
        return Outcome(failure=f"{target.host} answered something that is not HTTP ({type(error).__name__})"), ""
    except OSError as error:
        return Outcome(failure=f"talking to {target.host} failed: {_reason(error)}"), ""
    finally:
        if sock is not None:
            sock.close()


def _not_after(certificate: dict | None) -> datetime | None:
    if not certificate or "notAfter" not in certificate:
        return None
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(certificate["notAfter"]), tz=UTC)


def _reason(error: OSError) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.timeout):
        return "timed out"
    return error.strerror or str(error) or type(error).__name__
