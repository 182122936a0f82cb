"""The guard for outbound connections to URLs that users give (alert channels in notify/, uptime checks in
monitors/): such a request leaves from inside the network Tracehound runs in, so the URL is the classic server-side
request forgery hole: `http://169.254.169.254/` (cloud metadata), `http://127.0.0.1:6379/` (Redis),
`http://10.0.0.5/admin`. The rules here:

- http and https only;
- the host is resolved at send time (a check made when the URL was saved says nothing about what the name resolves
  to now), and the request is refused when ANY of its addresses is loopback, private, link-local, multicast,
  reserved, unspecified or shared (100.64.0.0/10), for IPv4 and IPv6 alike, IPv4 embedded in IPv6
  (::ffff:127.0.0.1, 6to4, Teredo, NAT64) included, unless the address is inside the caller's allowed networks
  (a setting the operator chooses). Numeric host forms (2130706433, 0x7f.1, 127.1, 0177.0.0.1) need no rule of
  their own: getaddrinfo turns them into the address they stand for, and that address is checked. A caller may
  also refuse link-local and cloud metadata addresses whatever the allowed networks say;
- the connection goes to an address that was checked, never to the name: a second lookup could answer something
  else (DNS rebinding). For https the socket is wrapped with TLS for the URL's host name, which is sent as SNI and
  verified against the certificate as usual;
- every read and write may take only the time left until a deadline: a socket timeout alone bounds each read, not
  their sum (a peer that trickles one byte a second would hold a caller for as long as it likes).

Name resolution itself is left to the system resolver and its own timeouts (getaddrinfo cannot be interrupted).
The standard library is enough for one request with a pinned address; a client library would have to be bent to
connect to an address other than the one its URL names.
"""

import base64
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

# Networks the ipaddress module has no property for (it counts them as neither private nor global).
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address
# Cloud metadata services outside the link-local ranges (AWS's IPv6 endpoint, Alibaba Cloud's).
METADATA_ADDRESSES = {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}


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


def parse_networks(entries, setting: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The CIDRs of an allowed-networks setting; a wrong entry raises Refused (it allows nothing, and says so)."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            raise Refused(
                f"{setting} has an entry that is not a network: {entry!r} (expected CIDRs such as 10.0.0.0/8 or "
                "fd00::/8)"
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


def is_metadata_or_link_local(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    candidates = [address] + (_embedded_ipv4(address) if address.version == 6 else [])
    return any(ip.is_link_local or ip in METADATA_ADDRESSES for ip in candidates)


@dataclass(frozen=True)
class Policy:
    """Where a caller may connect: public addresses, plus the networks in `allowed` (the entries of the setting
    named `setting`, read only when a non-public address needs them, so a wrong entry never stops a public one);
    with `never_link_local`, link-local and cloud metadata addresses are refused even inside those networks."""

    allowed: tuple
    setting: str
    never_link_local: bool = False


def check_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, host: str, policy: Policy) -> None:
    """Raise Refused unless `policy` lets a request reach `address`. `host`: the name it came from."""
    named = f"{host or address} is" if not host or _same_address(host, address) else f"{host} resolves to {address},"
    if policy.never_link_local and is_metadata_or_link_local(address):
        raise Refused(f"refused: {named} a link-local or cloud metadata address, which is never allowed")
    kind = forbidden_kind(address)
    if not kind or _is_allowed(address, parse_networks(policy.allowed, policy.setting)):
        return
    article = "an" if kind[0] in "aeiou" else "a"
    raise Refused(f"refused: {named} {article} {kind} address; allow it with {policy.setting}")


def resolve(target: Target, policy: Policy) -> list[tuple]:
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
        check_address(ipaddress.ip_address(sockaddr[0]), target.host, policy)
        addresses.append((family, socktype, proto, sockaddr))
    if not addresses:
        raise Unresolvable(f"could not resolve {target.host} (no IPv4 or IPv6 address)")
    return addresses


class Deadline:
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

    deadline: Deadline | None = None

    def arm(self):
        if self.deadline is not None:
            self.settimeout(self.deadline.left())

    def recv_into(self, *args, **kwargs):
        self.arm()
        return super().recv_into(*args, **kwargs)

    def recv(self, *args, **kwargs):
        self.arm()
        return super().recv(*args, **kwargs)

    def send(self, *args, **kwargs):
        self.arm()
        return super().send(*args, **kwargs)

    def sendall(self, *args, **kwargs):
        self.arm()
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


def connect(addresses: list[tuple], deadline: Deadline, connect_seconds: float) -> socket.socket:
    """A connected socket to the first checked address that answers, within the connect timeout each."""
    last_error: OSError | None = None
    for family, socktype, proto, sockaddr in addresses:
        sock = _DeadlineSocket(family, socktype, proto)
        try:
            sock.settimeout(min(connect_seconds, deadline.left()))
            sock.connect(sockaddr)
            sock.deadline = deadline
            return sock
        except OSError as error:
            sock.close()
            last_error = error
    raise last_error or OSError("no address to connect to")
