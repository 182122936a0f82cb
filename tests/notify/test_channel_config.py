"""Channel settings validation: a message per field for every mistake, the SSRF guard at form time, and never
anything but a ValidationError, whatever comes in."""

import json
import socket
import string

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from notify.channel_config import KINDS, MAX_ADDRESSES, STAFF_ONLY_KINDS, clean_config

UNUSABLE = "unknown scheme, or a part is missing"
ALLOW = "allow it with TRACEHOUND_ALERT_ALLOWED_NETWORKS"
NAMES = {"chat.example.org": "93.184.216.34", "hooks.slack.com": "93.184.216.35", "discord.com": "93.184.216.36"}


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch):
    """Name resolution without the network: numeric hosts and localhost as the system resolves them, a few public
    names from NAMES, and no other name exists."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in NAMES:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (NAMES[host], port))]
        if host in ("localhost", "localhost."):
            return real(host, port, *args, **kwargs)
        try:
            return real(host, port, *args, **{**kwargs, "flags": socket.AI_NUMERICHOST})
        except socket.gaierror:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def errors(kind, data) -> dict:
    with pytest.raises(ValidationError) as caught:
        clean_config(kind, data)
    return {field: " ".join(messages) for field, messages in caught.value.message_dict.items()}


def test_the_kinds_and_which_are_for_staff_only():
    assert set(KINDS) == {"email", "slack", "discord", "webhook", "apprise"}
    assert {"apprise"} == STAFF_ONLY_KINDS


@pytest.mark.parametrize("kind", ["sms", "", None, 3, ["slack"]])
def test_an_unknown_kind_is_named(kind):
    assert list(errors(kind, {"url": "https://chat.example.org/hooks/x"})) == ["kind"]


@pytest.mark.parametrize("data", ["https://chat.example.org/x", None, [], 7])
def test_settings_that_are_not_an_object_are_refused(data):
    assert list(errors("slack", data)) == ["config"]


@pytest.mark.parametrize("kind", ["slack", "discord", "webhook"])
def test_a_url_that_is_theirs_or_a_self_hosted_one_is_accepted(kind):
    assert clean_config(kind, {"url": " https://chat.example.org/hooks/abc "}) == {
        "url": "https://chat.example.org/hooks/abc"
    }
    assert clean_config(kind, {"url": "https://hooks.slack.com/services/T/B/X", "extra": 1}) == {
        "url": "https://hooks.slack.com/services/T/B/X"
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://chat.example.org/x", "only http:// and https:// URLs can be used, not ftp:"),
        ("file:///etc/passwd", "only http:// and https:// URLs can be used, not file:"),
        ("javascript:alert(1)", "only http:// and https:// URLs can be used, not javascript:"),
        ("chat.example.org/hooks", "the URL must start with https:// (or http://)"),
        ("http:///hooks", "the URL has no host"),
        ("https://chat.example.org:99999/", "the URL is malformed (Port out of range 0-65535)"),
        ("https://chat.example.org/a b", "the URL contains spaces or control characters"),
        ("", "enter the URL to send to"),
        (None, "enter the URL to send to"),
        (42, "enter the URL to send to"),
    ],
)
def test_a_url_that_cannot_be_used_says_why(url, message):
    assert errors("webhook", {"url": url}) == {"url": message}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://localhost:8000/hook", "refused: localhost resolves to 127.0.0.1, a loopback address"),
        ("http://10.0.0.5/hook", "refused: 10.0.0.5 is a private address"),
        ("http://2130706433/hook", "refused: 2130706433 resolves to 127.0.0.1, a loopback address"),
        ("http://169.254.169.254/", "refused: 169.254.169.254 is a link-local address"),
        ("http://[::ffff:127.0.0.1]/", "refused: ::ffff:127.0.0.1 is a loopback address"),
    ],
)
def test_a_url_on_a_refused_address_is_refused_at_form_time_too(url, message):
    assert errors("slack", {"url": url}) == {"url": f"{message}; {ALLOW} (checked again at every send)"}


def test_an_allowed_network_makes_its_urls_acceptable(settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "ALERT_ALLOWED_NETWORKS": ["10.0.0.0/8", "127.0.0.1/32"]}
    assert clean_config("webhook", {"url": "http://10.0.0.5/hook"}) == {"url": "http://10.0.0.5/hook"}
    assert clean_config("webhook", {"url": "http://localhost:9000/"}) == {"url": "http://localhost:9000/"}


def test_a_host_that_does_not_resolve_is_named():
    assert errors("discord", {"url": "https://nothing.invalid/api/webhooks/1/x"}) == {
        "url": "could not resolve nothing.invalid (Name or service not known); is the host name right?"
    }


def test_email_to_the_team_or_to_listed_addresses():
    assert clean_config("email", {"to": "team", "addresses": ["ignored@example.com"]}) == {"to": "team"}
    assert clean_config("email", {"to": "addresses", "addresses": ["ops@example.com", " dev@example.org "]}) == {
        "to": "addresses",
        "addresses": ["ops@example.com", "dev@example.org"],
    }
    # One string, as a textarea sends it; repeats dropped.
    assert clean_config("email", {"to": "addresses", "addresses": "ops@example.com, dev@example.org\nops@example.com"})[
        "addresses"
    ] == ["ops@example.com", "dev@example.org"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "to", "send to 'team' (the project's teams) or to 'addresses'"),
        ({"to": "everyone"}, "to", "send to 'team' (the project's teams) or to 'addresses'"),
        ({"to": "addresses"}, "addresses", "expected a list of email addresses"),
        ({"to": "addresses", "addresses": []}, "addresses", "enter at least one email address"),
        ({"to": "addresses", "addresses": [1, 2]}, "addresses", "expected a list of email addresses"),
        (
            {"to": "addresses", "addresses": ["ops@example.com", "not-an-address", "x@y@z"]},
            "addresses",
            "not an email address: 'not-an-address', 'x@y@z'",
        ),
        (
            {"to": "addresses", "addresses": [f"user{n}@example.com" for n in range(MAX_ADDRESSES + 1)]},
            "addresses",
            "at most 50 addresses (got 51)",
        ),
    ],
)
def test_email_mistakes_are_named(data, field, message):
    assert errors("email", data) == {field: message}


def test_fifty_addresses_are_fine():
    addresses = [f"user{n}@example.com" for n in range(MAX_ADDRESSES)]
    assert clean_config("email", {"to": "addresses", "addresses": addresses})["addresses"] == addresses


def test_apprise_urls_that_apprise_can_parse():
    urls = ["json://127.0.0.1:8080/hook", "ntfy://ntfy.example.org/alerts"]
    assert clean_config("apprise", {"urls": urls}) == {"urls": urls}
    assert clean_config("apprise", {"urls": " ".join(urls)}) == {"urls": urls}


@pytest.mark.parametrize(
    ("urls", "message"),
    [
        (["nonsense://SECRET-TOKEN/x"], f"Apprise cannot use URL 1 (nonsense://...): {UNUSABLE}"),
        (["json://127.0.0.1/", "not a url at all"], f"Apprise cannot use URL 2: {UNUSABLE}"),
        ([], "enter at least one Apprise URL"),
        ([f"json://127.0.0.1/{n}" for n in range(11)], "at most 10 URLs (got 11)"),
        ({"a": 1}, "expected a list of Apprise URLs"),
    ],
)
def test_apprise_mistakes_are_named_without_repeating_tokens(urls, message):
    assert errors("apprise", {"urls": urls}) == {"urls": message}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=8,
)
hosts = st.one_of(
    st.text(max_size=25),
    st.text(alphabet=string.ascii_letters + string.digits + ".-_:[]%@", max_size=25),
    st.sampled_from(["localhost", "127.0.0.1", "[::1]", "[::ffff:10.0.0.1]", "2130706433", "0x7f.1", "a..b", "."]),
    st.sampled_from(["chat.example.org", "[fe80::1%25eth0]", "xn--bcher-kva.example", "bücher.example", "[::1"]),
)
urls = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["http://", "https://", "HTTPS://", "ftp://", "javascript:", "", "http:/", "json://"]),
        hosts,
        st.sampled_from(["", ":0", ":80", ":65536", ":x"]),
        st.text(max_size=20),
    ),
)
configs = st.one_of(
    json_values,
    st.fixed_dictionaries({"url": st.one_of(urls, json_values)}),
    st.fixed_dictionaries(
        {
            "to": st.one_of(st.sampled_from(["team", "addresses"]), json_values),
            "addresses": st.one_of(
                st.lists(st.one_of(st.emails(), st.text(max_size=40)), max_size=60), st.text(), json_values
            ),
        }
    ),
    st.fixed_dictionaries({"urls": st.one_of(st.lists(st.one_of(urls, st.text(max_size=40)), max_size=12), urls)}),
)


@hypothesis_settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.one_of(st.sampled_from(KINDS), st.text(max_size=10), json_values), data=configs)
def test_any_input_is_either_clean_or_a_validation_error_per_field(kind, data):
    try:
        cleaned = clean_config(kind, data)
    except ValidationError as error:
        assert error.message_dict
        assert all(isinstance(field, str) and messages for field, messages in error.message_dict.items())
    else:
        assert isinstance(cleaned, dict)
        json.dumps(cleaned)
