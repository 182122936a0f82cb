"""The one HTTP client for URLs that users give (Slack, Discord and webhook channels): a POST, guarded and bounded.

A channel URL is chosen by a project admin, and the request leaves from inside the network Tracehound runs in, so
the URL is the classic server-side request forgery hole: `http://169.254.169.254/` (cloud metadata),
`http://127.0.0.1:6379/` (Redis), `http://10.0.0.5/admin`. The rules here:

- http and https only;
- the host is resolved at send time (a check made when the channel was saved says nothing about what the name
  resolves to now), and the request is refused when ANY of its addresses is loopback, private, link-local,
  multicast, reserved, unspecified or shared (100.64.0.0/10), for IPv4 and IPv6 alike, IPv4 embedded in IPv6
  (::ffff:127.0.0.1, 6to4, Teredo, NAT64) included, unless the address is inside TRACEHOUND_ALERT_ALLOWED_NETWORKS.
  Numeric host forms (2130706433, 0x7f.1, 127.1, 0177.0.0.1) need no rule of their own: getaddrinfo turns them into
  the address they stand for, and that address is checked;
- the connection goes to an address that was checked, never to the name: a second lookup could answer something
  else (DNS rebinding). For https the socket is wrapped with TLS for the URL's host name, which is sent as SNI and
  verified against the certificate as usual;
- hard limits: ALERT_CONNECT_TIMEOUT_SECONDS to connect, ALERT_TOTAL_TIMEOUT_SECONDS for everything from the
  first connection attempt to the last byte read. A socket timeout alone bounds each read, not their sum (a
  receiver that trickles one byte a second would hold a sender for as long as it likes), so every read and write
  first shrinks the socket's timeout to the time left;
- redirects are not followed (the next hop would escape the check); the caller gets the status and the Location;
- at most RESPONSE_BODY_CAP bytes of an answer are read, for the error detail;
- failures of the other side (refused, unreachable, timed out, garbled) are results, never exceptions.

Name resolution itself is left to the system resolver and its own timeouts (getaddrinfo cannot be interrupted).
The standard library is enough for one POST with a pinned address; a client library would have to be bent to
connect to an address other than the one its URL names.
"""

import base64
import contextlib
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote, urlsplit

from projects.options import option

USER_AGENT = "Tracehound-Alerts/1.0"
RESPONSE_BODY_CAP = 4096  # bytes of a response read for the error detail
EXCERPT_CHARS = 200  # characters of that body kept in a detail
ALLOW_HINT = "allow it with TRACEHOUND_ALERT_ALLOWED_NETWORKS"

# Networks the ipaddress module has no property for (it counts them as neither private nor global).
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address


class InvalidURL(ValueError):
    """The URL cannot be used at all (scheme, host, port, characters). The message says why."""


class Refused(Exception):
    """The URL's host resolves to an address the guard refuses. The message names the address and the setting."""


class Unresolvable(Exception):
    """The host name has no address (now)."""


@dataclass(frozen=True)
class Target:
    """A URL taken apart for one request."""

    scheme: str
    host: str  # as in the URL, lowercased: for messages, SNI and certificate checks
    ascii_host: str  # IDNA-encoded: for the resolver and the Host header
    port: int
    request_target: str  # path and query, percent-encoded
    host_header: str
    authorization: str = ""  # "Basic ..." from credentials in the URL


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


def parse_url(url: str) -> Target:
    """Take an http(s) URL apart, or raise InvalidURL with a reason a person can act on."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidURL("enter a URL")
    url = url.strip()
    if len(url) > 2000:
        raise InvalidURL("the URL is longer than 2,000 characters")
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
        raise InvalidURL("the URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
        hostname = parts.hostname
    except ValueError as error:
        raise InvalidURL(f"the URL is malformed ({error})") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise InvalidURL("the URL must start with https:// (or http://)")
    if scheme not in ("http", "https"):
        raise InvalidURL(f"only http:// and https:// URLs can be used, not {scheme}:")
    host = (hostname or "").rstrip(".")  # "example.com." is example.com, for SNI and certificates too
    if not host:
        raise InvalidURL("the URL has no host")
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise InvalidURL(f"the host name {host!r} is not a valid domain name") from None
    if not ascii_host or any(char in ascii_host for char in "/\\?#@ "):
        raise InvalidURL(f"the host name {host!r} is not a valid domain name")
    if port == 0:
        raise InvalidURL("the URL's port is 0")
    default_port = 443 if scheme == "https" else 80
    port = port or default_port
    is_ipv6 = ":" in ascii_host
    bracketed = f"[{ascii_host}]" if is_ipv6 else ascii_host
    host_header = bracketed if port == default_port else f"{bracketed}:{port}"
    # Keep what is already escaped (and the reserved characters); escape the rest, e.g. non-ASCII letters.
    request_target = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        request_target += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    authorization = ""
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        authorization = "Basic " + base64.b64encode(credentials).decode("ascii")
    return Target(scheme, host, ascii_host, port, request_target, host_header, authorization)


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """TRACEHOUND_ALERT_ALLOWED_NETWORKS parsed; a wrong entry raises Refused (it allows nothing, and says so)."""
    networks = []
    for entry in option("ALERT_ALLOWED_NETWORKS"):
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            raise Refused(
                f"TRACEHOUND_ALERT_ALLOWED_NETWORKS has an entry that is not a network: {entry!r} "
                "(expected CIDRs such as 10.0.0.0/8 or fd00::/8)"
            ) from None
    return networks


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, which is where a packet to it may end up."""
    embedded = [address.ipv4_mapped, address.sixtofour]
    if address.teredo:
        embedded.extend(address.teredo)
    if address in NAT64_PREFIX:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [ip for ip in embedded if ip is not None]


def forbidden_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """What kind of non-public address this is ("loopback", "private", ...), or "" for a public one."""
    if address.version == 6:
        for inner in _embedded_ipv4(address):
            if kind := forbidden_kind(inner):
                return kind
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.version == 4 and address in SHARED_ADDRESS_SPACE:
        return "shared (carrier-grade NAT)"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "non-public"
    return ""


def _is_allowed(address, networks) -> bool:
    candidates = [address] + (_embedded_ipv4(address) if address.version == 6 else [])
    return any(ip.version == network.version and ip in network for ip in candidates for network in networks)


def _same_address(host: str, address) -> bool:
    try:
        return ipaddress.ip_address(host) == address
    except ValueError:
        return False


def check_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, host: str = "") -> None:
    """Raise Refused unless `address` is public or inside an allowed network. `host`: the name it came from."""
    kind = forbidden_kind(address)
    if not kind or _is_allowed(address, allowed_networks()):
        return
    article = "an" if kind[0] in "aeiou" else "a"
    named = f"{host or address} is" if not host or _same_address(host, address) else f"{host} resolves to {address},"
    raise Refused(f"refused: {named} {article} {kind} address; {ALLOW_HINT}")


def resolve(target: Target) -> list[tuple]:
    """The (family, type, proto, sockaddr) to connect to, every one checked; raise Refused or Unresolvable.

    Refused when ANY address is refused, even if a public one is also offered: which one a connection would use is
    not ours to predict, and a name that mixes them is a trap."""
    try:
        infos = socket.getaddrinfo(target.ascii_host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise Unresolvable(f"could not resolve {target.host} ({error.args[-1] if error.args else error})") from None
    addresses = []
    for family, socktype, proto, _, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        check_address(ipaddress.ip_address(sockaddr[0]), target.host)
        addresses.append((family, socktype, proto, sockaddr))
    if not addresses:
        raise Unresolvable(f"could not resolve {target.host} (no IPv4 or IPv6 address)")
    return addresses


def check_url(url: str) -> None:
    """The checks of a send, without sending: InvalidURL, Refused or Unresolvable. For forms (channel_config)."""
    resolve(parse_url(url))


class _Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return left


class _DeadlineIO:
    """Mixed into the socket classes: each read and write may take only the time left until the deadline."""

    deadline: _Deadline | None = None

    def _arm(self):
        if self.deadline is not None:
            self.settimeout(self.deadline.left())

    def recv_into(self, *args, **kwargs):
        self._arm()
        return super().recv_into(*args, **kwargs)

    def recv(self, *args, **kwargs):
        self._arm()
        return super().recv(*args, **kwargs)

    def send(self, *args, **kwargs):
        self._arm()
        return super().send(*args, **kwargs)

    def sendall(self, *args, **kwargs):
        self._arm()
        return super().sendall(*args, **kwargs)


class _DeadlineSocket(_DeadlineIO, socket.socket):
    pass


class _DeadlineSSLSocket(_DeadlineIO, ssl.SSLSocket):
    pass


def tls_context() -> ssl.SSLContext:
    """The system's trust store, certificate and host name verification on (Python's defaults)."""
    context = ssl.create_default_context()
    context.sslsocket_class = _DeadlineSSLSocket
    return context


def _connect(addresses: list[tuple], deadline: _Deadline) -> socket.socket:
    """A connected socket to the first checked address that answers, within the connect timeout each."""
    last_error: OSError | None = None
    for family, socktype, proto, sockaddr in addresses:
        sock = _DeadlineSocket(family, socktype, proto)
        try:
            sock.settimeout(min(option("ALERT_CONNECT_TIMEOUT_SECONDS"), deadline.left()))
            sock.connect(sockaddr)
            sock.deadline = deadline
            return sock
        except OSError as error:
            sock.close()
            last_error = error
    raise last_error or OSError("no address to connect to")


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
    deadline = _Deadline(total)
    sock = None
    try:
        try:
            sock = _connect(addresses, deadline)
        except TimeoutError:
            return fail(f"could not connect to {target.host} within {option('ALERT_CONNECT_TIMEOUT_SECONDS')} s")
        except OSError as error:
            return fail(f"could not connect to {target.host}:{target.port}: {_os_reason(error)}")
        if target.scheme == "https":
            sock = tls_context().wrap_socket(sock, server_hostname=target.ascii_host, do_handshake_on_connect=False)
            sock.deadline = deadline
            sock._arm()
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
