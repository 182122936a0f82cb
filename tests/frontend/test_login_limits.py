"""Failed-login limits on both login pages: per user name, per client address, per window, password unchecked."""

import random

import pytest
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from frontend import login_limits
from tests.frontend.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

WINDOW = 60
REFUSED = "Too many failed logins"


class Clock:
    """The limits' time source: a window of its own for each test, moved by the test instead of waited for."""

    def __init__(self):
        # Aligned windows are keyed by their number; a random far-off one keeps tests (and runs against a shared
        # Redis) apart without clearing the cache.
        self.now = random.randrange(10**6, 10**8) * WINDOW + 5.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(login_limits, "clock", clock)
    return clock


@pytest.fixture
def password_checks(monkeypatch):
    """Every user name the login forms asked to authenticate, in order."""
    checked = []
    authenticate = auth_forms.authenticate

    def counting_authenticate(request=None, **credentials):
        checked.append(credentials.get("username"))
        return authenticate(request, **credentials)

    monkeypatch.setattr(auth_forms, "authenticate", counting_authenticate)
    return checked


def log_in(client, username, password="wrong-password", url=None, address="127.0.0.1", **headers):
    return client.post(
        url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def assert_refused(response, seconds: int):
    html = response.content.decode()
    assert response.status_code == 429
    assert response["Retry-After"] == str(seconds)
    assert html.count(REFUSED) == 1 and f"Try again in {login_limits.describe_wait(seconds)}." in html
    assert "_auth_user_id" not in response.wsgi_request.session


def test_the_eleventh_failure_for_a_user_name_is_refused_without_checking_the_password(
    client, team, clock, password_checks
):
    make_user(team, "ada")
    for _ in range(10):
        response = log_in(client, "ada")
        assert response.status_code == 200 and b"didn't match" in response.content
    clock.now += 12
    # The right password too: it is not even checked, so it neither succeeds nor takes a different time.
    response = log_in(client, "ada", PASSWORD)
    assert_refused(response, WINDOW - 5 - 12)
    assert '<form method="post"' in response.content.decode()  # the login form again, with the message
    assert password_checks == ["ada"] * 10


def test_guesses_in_flight_together_are_counted_before_their_passwords_are_checked(clock):
    # Twelve guesses arriving at once, none of them answered yet: the eleventh and twelfth are refused all the same.
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="192.0.2.50")
    waits = [login_limits.begin_attempt(request, "ada") for _ in range(12)]
    assert waits == [0] * 10 + [WINDOW - 5] * 2


def test_the_admin_login_page_is_limited_too(client, clock, password_checks):
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    url = reverse("admin:login")
    for _ in range(10):
        response = log_in(client, "root", url=url)
        assert response.status_code == 200 and b"errornote" in response.content
    response = log_in(client, "root", PASSWORD, url=url)
    assert_refused(response, WINDOW - 5)
    assert 'class="errornote"' in response.content.decode()  # in the admin's own form
    assert len(password_checks) == 10


def test_user_names_are_counted_without_regard_to_case(client, team, clock):
    make_user(team, "ada")
    for username in ["ada", "ADA", "Ada", "aDa", "adA"] * 2:
        assert log_in(client, username).status_code == 200
    assert_refused(log_in(client, "ada", PASSWORD), WINDOW - 5)


def test_unknown_user_names_are_limited_like_existing_ones(client, clock):
    for _ in range(10):
        assert log_in(client, "nobody").status_code == 200
    assert_refused(log_in(client, "nobody"), WINDOW - 5)


def test_an_address_is_limited_across_user_names(client, team, clock):
    make_user(team, "ada")
    for n in range(30):
        assert log_in(client, f"guess{n}", address="203.0.113.9").status_code == 200
    assert_refused(log_in(client, "someone-new", address="203.0.113.9"), WINDOW - 5)
    assert_refused(log_in(client, "ada", PASSWORD, address="203.0.113.9"), WINDOW - 5)
    # Another address is not affected.
    assert log_in(client, "ada", PASSWORD, address="203.0.113.10").status_code == 302


def test_a_successful_login_does_not_reset_its_addresss_failures(client, team, clock):
    """An attacker with an account of their own cannot log into it between guesses to guess for ever."""
    make_user(team, "mallory")
    for _ in range(3):
        for n in range(9):
            assert log_in(client, f"victim{n}", address="198.51.100.7").status_code == 200
        assert log_in(client, "mallory", PASSWORD, address="198.51.100.7").status_code == 302
        client.post(reverse("logout"))
    assert log_in(client, "victim-a", address="198.51.100.7").status_code == 200
    assert log_in(client, "victim-b", address="198.51.100.7").status_code == 200
    assert log_in(client, "victim-c", address="198.51.100.7").status_code == 200  # the 30th failure
    assert_refused(log_in(client, "victim-d", address="198.51.100.7"), WINDOW - 5)
    assert_refused(log_in(client, "mallory", PASSWORD, address="198.51.100.7"), WINDOW - 5)


def test_a_successful_login_forgets_its_user_names_failures(client, team, clock):
    make_user(team, "ada")
    for _ in range(9):
        log_in(client, "ada")
    assert log_in(client, "ada", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(9):
        assert log_in(client, "ada").status_code == 200  # a fresh count: 9 more before a refusal


def test_the_limit_ends_with_its_window_and_a_valid_login_works_again(client, team, clock):
    make_user(team, "ada")
    for _ in range(10):
        log_in(client, "ada")
    assert_refused(log_in(client, "ada", PASSWORD), WINDOW - 5)
    clock.now += WINDOW - 5 - 1
    assert_refused(log_in(client, "ada", PASSWORD), 1)
    clock.now += 1
    assert log_in(client, "ada", PASSWORD).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_x_forwarded_for_is_ignored_unless_trusted(client, clock, settings):
    for n in range(30):
        response = log_in(client, f"guess{n}", address="10.1.1.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        assert response.status_code == 200
    assert_refused(log_in(client, "another", address="10.1.1.1", HTTP_X_FORWARDED_FOR="192.0.2.200"), WINDOW - 5)

    # Behind a trusted proxy, the address it appended counts; what the client put before it does not.
    settings.TRACEHOUND = {**settings.TRACEHOUND, "TRUST_X_FORWARDED_FOR": True}
    for n in range(30):
        forwarded = f"192.0.2.{n}, 198.51.100.20"
        assert log_in(client, f"guess{n}", address="10.1.1.1", HTTP_X_FORWARDED_FOR=forwarded).status_code == 200
    assert_refused(log_in(client, "x", address="10.1.1.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.20"), WINDOW - 5)
    assert log_in(client, "x", address="10.1.1.1", HTTP_X_FORWARDED_FOR="198.51.100.21").status_code == 200


@pytest.mark.parametrize(
    ("remote_addr", "counted_as"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
    ],
)
def test_client_addresses_count_per_ipv4_address_and_per_ipv6_64(remote_addr, counted_as):
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=remote_addr)
    assert login_limits.client_address(request) == counted_as


def test_a_client_address_that_is_not_an_ip_is_still_counted(settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "TRUST_X_FORWARDED_FOR": True}
    odd = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="unknown")
    other = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="<script>")
    assert login_limits.client_address(odd).startswith("other-")
    assert login_limits.client_address(odd) != login_limits.client_address(other)
    assert len(login_limits.client_address(other)) < 50


def test_without_the_cache_logins_still_work(client, team, clock, monkeypatch):
    make_user(team, "ada")

    class Unreachable:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("cache down")

            return fail

    monkeypatch.setattr(login_limits, "cache", Unreachable())
    assert log_in(client, "ada").status_code == 200
    assert log_in(client, "ada", PASSWORD).status_code == 302


def test_a_login_without_a_password_is_not_counted(client, team, clock):
    make_user(team, "ada")
    for _ in range(20):
        assert client.post(reverse("login"), {"username": "ada", "password": ""}).status_code == 200
    assert log_in(client, "ada", PASSWORD).status_code == 302
