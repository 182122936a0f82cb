import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from issues.derived_tags import derived_tags
from issues.digest import digest_until_empty
from issues.models import Issue, IssueTag
from issues.normalize import normalize_event
from issues.search import search_issues
from tests.issues.conftest import exception_event

FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
BROWSER_CASE = Path(__file__).parent / "grouping_cases" / "browser_coupon.json"


def tags_of(raw: dict) -> dict:
    data = normalize_event(
        raw, event_id="0" * 32, received_at=timezone.now(), retention=timedelta(days=90), scrub_ip_addresses=True
    )
    tags = derived_tags(data)
    assert len({key for key, _ in tags}) == len(tags), "each key once"
    return dict(tags)


def test_a_django_requests_user_agent_gives_browser_and_os_tags():
    tags = tags_of(
        exception_event(
            request={"url": "https://shop.example.com/cart/?coupon=X", "headers": {"User-Agent": FIREFOX_ON_WINDOWS}},
            user={"id": "42", "email": "ann@example.com", "username": "ann"},
            release="shop@1.1",
            environment="production",
        )
    )
    assert tags["browser"] == "Firefox 133.0" and tags["browser.name"] == "Firefox"
    assert tags["os"] == "Windows 10" and tags["os.name"] == "Windows"
    assert "device" not in tags  # a desktop says nothing about its device
    assert tags["url"] == "https://shop.example.com/cart/"  # the query string stays out of the tag
    assert (tags["user.id"], tags["user.email"], tags["user.username"]) == ("42", "ann@example.com", "ann")
    assert (tags["release"], tags["environment"], tags["level"]) == ("shop@1.1", "production", "error")


def test_a_phone_gives_a_device_and_header_names_are_case_insensitive():
    tags = tags_of(exception_event(request={"headers": [["user-agent", SAFARI_ON_IPHONE]]}))
    assert (tags["browser.name"], tags["os"], tags["device"]) == ("Mobile Safari", "iOS 17.5", "iPhone")


def test_contexts_the_client_sent_win_over_the_user_agent_and_its_own_tags_win_over_both():
    tags = tags_of(
        exception_event(
            request={"headers": {"User-Agent": FIREFOX_ON_WINDOWS}},
            contexts={"browser": {"name": "Chrome", "version": "131.0.1"}, "device": {"family": "Pixel 8"}},
            tags={"os": "custom"},
        )
    )
    assert (tags["browser"], tags["browser.name"], tags["device"]) == ("Chrome 131.0.1", "Chrome", "Pixel 8")
    assert tags["os"] == "custom" and tags["os.name"] == "Windows"


def test_no_request_no_user_and_unparseable_or_scrubbed_values_give_no_tags():
    tags = tags_of(exception_event(request={"headers": {"User-Agent": "x" * 5000}}, user={"email": "[Filtered]"}))
    assert not {"browser", "browser.name", "os", "device", "url", "user.email", "user.id"} & set(tags)
    assert set(tags_of(exception_event())) == {"level"}


@pytest.mark.django_db
def test_browser_and_user_searches_work_for_a_browser_sdk_event_and_a_django_event(inbox, project):
    # An event exactly as @sentry/browser sent it (from HeadlessChrome), beside a server-side one from Firefox.
    inbox(json.loads(BROWSER_CASE.read_text())["event"])
    inbox(
        exception_event(
            type_="KeyError",
            request={"url": "https://shop.example.com/cart/", "headers": {"User-Agent": FIREFOX_ON_WINDOWS}},
            user={"id": "42", "email": "ann@example.com"},
        )
    )
    digest_until_empty()
    browser_issue = Issue.objects.exclude(title__startswith="KeyError").get()
    django_issue = Issue.objects.get(title__startswith="KeyError")
    assert IssueTag.objects.get(issue=browser_issue, key="browser.name").value == "HeadlessChrome"

    def found(text):
        return set(search_issues(None, text))

    assert found("browser.name:HeadlessChrome") == {browser_issue}
    assert found("browser:Firefox") == found("browser.name:Firefox") == {django_issue}
    assert found('os:"Windows 10"') == found("os:Windows") == {django_issue} and found("os:Win") == set()
    assert found("user.email:ann@example.com") == found("user.id:42") == {django_issue}
    assert found("url:https://shop.example.com/cart/") == {django_issue}
