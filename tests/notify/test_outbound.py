"""The outbound client against real local servers: the SSRF guard, pinning to the checked address, TLS, the hard
time limits, redirects and what each kind of answer becomes."""

import ipaddress
import socket
import ssl

import pytest
import trustme
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from notify import outbound
from notify.transports.http_post import post_json
from tests.notify.builders import timed
from tests.notify.conftest import Receiver

BODY = b'{"text": "hello"}'
ALLOW = "allow it with TRACEHOUND_ALERT_ALLOWED_NETWORKS"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://127.8.9.10:8080/hook", "loopback"),
        # Numeric forms of 127.0.0.1 that getaddrinfo normalises: decimal, hex, short, octal.
        ("http://2130706433/hook", "loopback"),
        ("http://0x7f.1/hook", "loopback"),
        ("http://127.1/hook", "loopback"),
        ("http://0177.0.0.1/hook", "loopback"),
        ("http://0x7f000001/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),  # IPv4-mapped IPv6
        ("http://[::ffff:7f00:1]/hook", "loopback"),
        ("http://[2002:7f00:1::]/hook", "loopback"),  # 6to4 around 127.0.0.1
        ("http://[64:ff9b::a00:5]/hook", "private"),  # NAT64 around 10.0.0.5
        ("http://169.254.169.254/latest/meta-data/", "link-local"),  # cloud metadata
        ("http://[fe80::1]/hook", "link-local"),
        ("http://10.0.0.5/hook", "private"),
        ("http://172.16.3.4/hook", "private"),
        ("http://192.168.1.1/hook", "private"),
        ("http://[fd00::1]/hook", "private"),
        ("http://[::ffff:192.168.1.1]/hook", "private"),
        ("http://100.64.0.1/hook", "shared"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://[::]/hook", "unspecified"),
        ("http://224.0.0.1/hook", "multicast"),
        ("http://[ff02::1]/hook", "multicast"),
        ("http://240.0.0.1/hook", "reserved"),
        ("https://localhost/hook", "loopback"),  # a name that resolves to a refused address
        ("http://localhost./hook", "loopback"),
    ],
)
def test_every_form_of_a_forbidden_address_is_refused_without_connecting(url, kind):
    response = outbound.post(url, BODY)
    assert response.status is None
    assert response.failure.startswith("refused: ")
    assert f" {kind} " in response.failure or f" {kind}" in response.failure
    assert ALLOW in response.failure
    assert response.retry is False
    # Refused before connecting: the autouse _loopback_only fixture fails a test that tries to connect elsewhere.


def test_the_refusal_reads_as_something_a_person_can_act_on():
    result = post_json("http://10.0.0.5/hooks/alerts", BODY)
    assert result.ok is False and result.retry is False
    assert result.detail == f"refused: 10.0.0.5 is a private address; {ALLOW}"
    named = post_json("http://localhost:9/hook", BODY)
    assert named.detail == f"refused: localhost resolves to 127.0.0.1, a loopback address; {ALLOW}"


def test_a_name_is_refused_when_any_of_its_addresses_is(monkeypatch):
    def two_addresses(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_addresses)
    response = outbound.post("https://hooks.example.com/x", BODY)
    assert response.failure == f"refused: hooks.example.com resolves to 10.1.2.3, a private address; {ALLOW}"


@pytest.mark.parametrize(
    "url",
    ["ftp://files.example.com/x", "file:///etc/passwd", "javascript:alert(1)", "gopher://x:70/", "example.com/hook"],
)
def test_only_http_and_https_urls_are_used(url):
    response = outbound.post(url, BODY)
    assert response.failure.startswith("invalid URL: ")
    assert response.retry is False


@pytest.mark.parametrize("url", ["http:///path", "https://:443/x", "http://a b/", "http://host:99999/", ""])
def test_urls_without_a_usable_host_or_port_fail_without_retry(url):
    response = outbound.post(url, BODY)
    assert response.failure.startswith("invalid URL: ") and response.retry is False


def test_an_allowed_network_lets_its_addresses_through(receiver):
    response = outbound.post(receiver.url("/ok?x=1&y=é"), BODY, {"X-Extra": "1"})
    assert (response.status, response.failure) == (200, "")
    (request,) = receiver.requests
    assert request.path == "/ok?x=1&y=%C3%A9"
    assert request.body == BODY
    assert request.headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert request.headers["Content-Type"] == "application/json"
    assert "Tracehound" in request.headers["User-Agent"]
    assert request.headers["X-Extra"] == "1"
    # A name that resolves into the allowed network too.
    assert outbound.post(receiver.url("/ok", host="localhost"), BODY).status == 200


def test_an_allowed_ipv6_network_works_the_same(settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "ALERT_ALLOWED_NETWORKS": ["::1/128"]}
    try:
        server = Receiver(address="::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    try:
        response = outbound.post(f"http://[::1]:{server.port}/ok", BODY)
        assert (response.status, response.failure) == (200, "")
        assert server.requests[0].headers["Host"] == f"[::1]:{server.port}"
    finally:
        server.close()


def test_allowed_networks_cover_private_ranges_and_ipv4_inside_ipv6(settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "ALERT_ALLOWED_NETWORKS": ["10.0.0.0/8", "fd00::/8"]}
    outbound.check_address(ipaddress.ip_address("10.0.0.5"))
    outbound.check_address(ipaddress.ip_address("::ffff:10.0.0.5"))
    outbound.check_address(ipaddress.ip_address("fd00::1234"))
    with pytest.raises(outbound.Refused):
        outbound.check_address(ipaddress.ip_address("192.168.0.1"))
    with pytest.raises(outbound.Refused):
        outbound.check_address(ipaddress.ip_address("127.0.0.1"))


def test_a_wrong_allowed_network_entry_is_named(settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "ALERT_ALLOWED_NETWORKS": ["10.0.0.0/8", "intranet"]}
    response = outbound.post("http://10.0.0.5/hook", BODY)
    assert response.retry is False
    assert "TRACEHOUND_ALERT_ALLOWED_NETWORKS has an entry that is not a network: 'intranet'" in response.failure
    # Public addresses need no allowing, so a wrong entry does not stop them.
    outbound.check_address(ipaddress.ip_address("93.184.216.34"))


def test_the_connection_goes_to_the_checked_address_after_one_lookup(receiver, monkeypatch):
    real_getaddrinfo = socket.getaddrinfo
    lookups = []

    def rebinding(host, port, *args, **kwargs):
        # First answer: the receiver's address. Any later answer: another one (a rebinding attacker's second
        # answer), where nothing listens and which the guard would refuse.
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "127.0.0.2"
        return real_getaddrinfo(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    response = outbound.post(receiver.url("/ok", host="hooks.rebind.test"), BODY)
    assert response.status == 200
    assert lookups == ["hooks.rebind.test"]
    assert receiver.requests[0].headers["Host"] == f"hooks.rebind.test:{receiver.port}"


def test_a_server_that_never_answers_is_left_at_the_total_deadline(receiver):
    response, seconds = timed(outbound.post, receiver.url("/hang"), BODY)
    assert 9.5 <= seconds < 11.5
    assert response.failure == "no complete answer from 127.0.0.1 within 10 s"
    assert response.retry is True
    assert len(receiver.requests) == 1


def test_a_server_that_trickles_its_answer_is_left_at_the_total_deadline(receiver):
    # The answer comes one byte every 0.2 s: no single read ever waits long, only their sum is too long.
    response, seconds = timed(outbound.post, receiver.url("/trickle"), BODY)
    assert 9.5 <= seconds < 11.5
    assert response.failure == "no complete answer from 127.0.0.1 within 10 s"
    assert response.retry is True


def test_connecting_gives_up_after_the_connect_timeout(allow_loopback, full_backlog):
    response, seconds = timed(outbound.post, f"http://127.0.0.1:{full_backlog}/hook", BODY)
    assert 2.5 <= seconds < 4.5
    assert response.failure == "could not connect to 127.0.0.1 within 3 s"
    assert response.retry is True


def test_a_closed_port_is_a_connection_error_worth_retrying(allow_loopback):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = post_json(f"http://127.0.0.1:{port}/hook", BODY)
    assert result.ok is False and result.retry is True
    assert result.detail == f"could not connect to 127.0.0.1:{port}: connection refused"


@pytest.mark.parametrize(
    ("path", "ok", "retry", "retry_after", "detail"),
    [
        ("/ok", True, False, None, "200 OK"),
        ("/500", False, True, None, "500 from 127.0.0.1: internal error"),
        ("/429", False, True, 7.0, "429 from 127.0.0.1: rate limited, asked to wait 7 s"),
        ("/slack-404", False, False, None, "404 from 127.0.0.1: no_service"),
    ],
)
def test_what_each_status_means_to_the_sender(receiver, path, ok, retry, retry_after, detail):
    result = post_json(receiver.url(path), BODY)
    assert (result.ok, result.retry, result.retry_after, result.detail) == (ok, retry, retry_after, detail)


def test_retry_after_as_an_http_date(receiver):
    result = post_json(receiver.url("/503"), BODY)
    assert result.retry is True
    assert 25 <= result.retry_after <= 31


def test_a_redirect_is_not_followed_and_names_where_it_pointed(receiver):
    result = post_json(receiver.url("/redirect"), BODY)
    assert result.ok is False and result.retry is False
    assert result.detail.startswith(f"301 from 127.0.0.1: redirects to {receiver.url('/ok')}; ")
    assert [request.path for request in receiver.requests] == ["/redirect"]


def test_only_the_start_of_a_large_error_body_is_read(receiver):
    response = outbound.post(receiver.url("/big-500"), BODY)
    assert response.status == 500
    assert len(response.excerpt) <= outbound.EXCERPT_CHARS
    assert response.excerpt.startswith("EEEE")


@pytest.mark.parametrize(
    ("path", "failure"),
    [
        ("/not-http", "127.0.0.1 answered something that is not HTTP (BadStatusLine)"),
        ("/close", "127.0.0.1 closed the connection without answering"),
    ],
)
def test_a_broken_answer_is_a_result_not_an_exception(receiver, path, failure):
    response = outbound.post(receiver.url(path), BODY)
    assert (response.status, response.failure, response.retry) == (None, failure, True)


header_text = st.text(alphabet=st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=40)
answers = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda status, headers, body: status + b"".join(headers) + b"\r\n" + body,
        st.sampled_from([b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 429 Slow\r\n", b"HTTP/1.0 302 x\r\n", b"HTTP/1.1 999\r\n"])
        | st.binary(max_size=30),
        st.lists(
            st.builds(
                lambda name, value: f"{name}: {value}\r\n".encode("latin-1"),
                st.sampled_from(["Retry-After", "Location", "Content-Length", "Transfer-Encoding", "X-Other"]),
                header_text,
            ),
            max_size=4,
        ),
        st.binary(max_size=200),
    ),
)


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer=answers)
def test_whatever_a_receiver_answers_is_a_result_and_never_an_exception(receiver, answer):
    receiver.raw = answer
    response = outbound.post(receiver.url("/raw"), BODY)
    assert (response.status is None) == bool(response.failure)
    assert len(response.excerpt) <= outbound.EXCERPT_CHARS
    assert response.retry_after is None or 0 <= response.retry_after <= 86_400
    result = post_json(receiver.url("/raw"), BODY)
    assert isinstance(result.detail, str) and result.detail


@pytest.fixture
def certificate_authority(tmp_path, monkeypatch):
    """A CA of the test's own that the client trusts (through SSL_CERT_FILE, which the default context reads)."""
    authority = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    return authority


def tls_receiver(authority, name: str, server_names: list):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(name).configure_cert(context)
    context.sni_callback = lambda sock, server_name, ctx: server_names.append(server_name)
    return Receiver(tls=context)


def test_https_verifies_the_url_host_and_sends_it_as_sni_while_connecting_to_the_checked_address(
    allow_loopback, certificate_authority
):
    server_names = []
    server = tls_receiver(certificate_authority, "localhost", server_names)
    try:
        response = outbound.post(server.url("/ok", host="localhost"), BODY)
        assert (response.status, response.failure) == (200, "")
        assert server_names == ["localhost"]
        assert server.requests[0].body == BODY
    finally:
        server.close()


def test_https_refuses_a_certificate_for_another_name(allow_loopback, certificate_authority):
    server = tls_receiver(certificate_authority, "hooks.other.test", [])
    try:
        result = post_json(server.url("/ok", host="localhost"), BODY)
        assert result.ok is False and result.retry is False
        assert result.detail.startswith("the TLS certificate of localhost was not accepted: ")
        assert "localhost" in result.detail and server.requests == []
    finally:
        server.close()


def test_https_to_a_server_that_speaks_plain_http_fails_and_may_be_retried(receiver):
    result = post_json(receiver.url("/ok").replace("http://", "https://"), BODY)
    assert result.ok is False and result.retry is True
    assert result.detail.startswith("TLS with 127.0.0.1 failed: ")
