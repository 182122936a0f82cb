"""Inbound filters: each kind against events, bad patterns refused, and digest dropping matches before storing
anything, counted per filter per day and as the project's "filtered" outcome."""

import json
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from issues import inbound_filters
from issues.digest import digest_until_empty
from issues.glob import glob_match
from issues.inbound_filters import FilterError, clean_pattern, matcher
from issues.models import Event, InboundFilter, InboundFilterDailyCount, InboxItem, Issue, IssueTransition
from projects.models import IngestOutcome

from .conftest import exception_event

Kind = InboundFilter.Kind


def request_event(url="https://shop.example/cart", user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", **kw):
    return exception_event(request={"url": url, "headers": {"User-Agent": user_agent}}, **kw)


MATCHES = [
    # kind, pattern, event, matches
    (Kind.EXCEPTION_TYPE, "Value*", exception_event(), True),
    (Kind.EXCEPTION_TYPE, "KeyError", exception_event(), False),
    (Kind.MESSAGE, "*bad*", exception_event(), True),
    (Kind.MESSAGE, "Disk ?ull", {"message": "Disk full"}, True),
    (Kind.MESSAGE, "Disk full", {"logentry": {"formatted": "Disk full"}}, True),
    (Kind.MESSAGE, "*timeout*", exception_event(), False),
    (Kind.RELEASE, "1.2.*", exception_event(release="1.2.7"), True),
    (Kind.RELEASE, "1.2.*", exception_event(release="1.3.0"), False),
    (Kind.ENVIRONMENT, "staging", exception_event(environment="staging"), True),
    (Kind.ENVIRONMENT, "staging", exception_event(environment="staging-2"), False),
    (Kind.LEVEL, "warning", exception_event(level="warn"), True),
    (Kind.LEVEL, "warning", exception_event(), False),
    (Kind.LOGGER, "django.*", exception_event(logger="django.security"), True),
    (Kind.LOGGER, "django.*", exception_event(logger="app"), False),
    (Kind.TAG, "browser:Chrome*", exception_event(tags={"browser": "Chrome 120"}), True),
    (Kind.TAG, "browser:Chrome*", exception_event(tags=[["browser", "Firefox"]]), False),
    (Kind.TAG, "browser:Chrome*", exception_event(tags={"os": "Chrome"}), False),
    (Kind.CLIENT_IP, "10.0.0.0/8", exception_event(user={"ip_address": "10.1.2.3"}), True),
    (Kind.CLIENT_IP, "10.0.0.0/8", exception_event(user={"ip_address": "192.168.1.1"}), False),
    (Kind.CLIENT_IP, "2001:db8::/32", exception_event(request={"env": {"REMOTE_ADDR": "2001:db8::1"}}), True),
    (Kind.CLIENT_IP, "10.0.0.0/8", exception_event(user={"ip_address": "not an address"}), False),
    (Kind.CRAWLER, "", request_event(user_agent="Mozilla/5.0 (compatible; Googlebot/2.1)"), True),
    (Kind.CRAWLER, "", request_event(), False),
    (Kind.CRAWLER, "", exception_event(), False),
    (Kind.LOCALHOST, "", exception_event(user={"ip_address": "127.0.0.1"}), True),
    (Kind.LOCALHOST, "", request_event(url="http://localhost:8000/cart"), True),
    (Kind.LOCALHOST, "", request_event(), False),
    (Kind.HEALTH_CHECK, "", request_event(url="https://shop.example/healthz"), True),
    (Kind.HEALTH_CHECK, "", request_event(url="https://shop.example/api/Health/"), True),
    (Kind.HEALTH_CHECK, "", request_event(url="https://shop.example/ping"), True),
    (Kind.HEALTH_CHECK, "", request_event(url="https://shop.example/-/alive/"), True),
    (Kind.HEALTH_CHECK, "", request_event(url="https://shop.example/shipping"), False),
    (Kind.HEALTH_CHECK, "", exception_event(), False),
]


@pytest.mark.parametrize(("kind", "pattern", "event", "matches"), MATCHES)
def test_each_kind_matches_what_it_says(kind, pattern, event, matches):
    assert matcher(kind, clean_pattern(kind, pattern))(event) is matches


def test_odd_shapes_never_raise():
    for event in ({"exception": "x"}, {"tags": 5}, {"request": {"url": 7, "headers": "x"}}, {"user": []}, {}):
        for kind in inbound_filters.FORM_KINDS:
            pattern = {"tag": "a:b", "client_ip": "10.0.0.1", "level": "debug"}.get(kind, "x")
            assert matcher(kind, clean_pattern(kind, pattern))(event) is False


@pytest.mark.parametrize(
    ("kind", "pattern", "reason"),
    [
        (Kind.CLIENT_IP, "10.0.0.0/33", "not an IP address or a CIDR"),
        (Kind.CLIENT_IP, "10.0.0.O", "not an IP address or a CIDR"),
        (Kind.TAG, "no-separator", "key:value"),
        (Kind.TAG, ":value", "key:value"),
        (Kind.LEVEL, "loud", "a level is one of"),
        (Kind.MESSAGE, "", "needs a pattern"),
        (Kind.MESSAGE, "*a" * 101, "at most 200"),
        ("regex", "x", "unknown kind"),
        (Kind.ISSUE, "", "discard the issue from its page"),
    ],
)
def test_bad_patterns_are_refused_with_a_reason(kind, pattern, reason):
    with pytest.raises(FilterError, match=reason):
        clean_pattern(kind, pattern)


def test_a_regex_bomb_like_glob_costs_little():
    match = matcher(Kind.MESSAGE, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b")
    started = time.perf_counter()
    assert not match({"message": "a" * 50_000})  # cut to MAX_TEXT characters, and no backtracking regex
    assert time.perf_counter() - started < 0.5


@pytest.mark.django_db
def test_digest_drops_matching_events_and_counts_them(inbox, project, settings):
    # `status` exits 1 when a health check fails: here only the database is there to check.
    settings.TRACEHOUND = {**settings.TRACEHOUND, "HEALTH": {**settings.TRACEHOUND["HEALTH"], "CHECKS": ["database"]}}
    keep = InboundFilter.objects.create(project=project, kind=Kind.RELEASE, pattern="0.*")
    drop = InboundFilter.objects.create(project=project, kind=Kind.EXCEPTION_TYPE, pattern="Disallowed*")
    InboundFilter.objects.create(project=project, kind=Kind.MESSAGE, pattern="*bad*", is_active=False)
    for _ in range(3):
        inbox(exception_event(type_="DisallowedHost", value="bad host"))
    inbox(exception_event(release="1.0"))

    result = digest_until_empty()

    assert (result.stored, result.filtered) == (1, 3)
    assert not InboxItem.objects.exists()
    assert list(Issue.objects.values_list("title", flat=True)) == ["ValueError: bad input"]
    assert Event.objects.count() == 1 and IssueTransition.objects.count() == 1  # one NEW; nothing for the dropped
    today = timezone.now().date()
    assert list(InboundFilterDailyCount.objects.values_list("inbound_filter_id", "day", "count")) == [
        (drop.id, today, 3)
    ]
    assert not keep.daily_counts.exists()
    assert IngestOutcome.objects.get(project=project, outcome="filtered").count == 3

    out = StringIO()
    call_command("status", "--json", stdout=out)
    (row,) = json.loads(out.getvalue())["projects"]
    assert row["outcomes"]["filtered"] == 3


@pytest.mark.django_db
def test_a_changed_filter_is_recompiled_at_the_next_batch(inbox, project):
    rule = InboundFilter.objects.create(project=project, kind=Kind.ENVIRONMENT, pattern="staging")
    inbox(exception_event(environment="staging"))
    assert digest_until_empty().filtered == 1
    rule.pattern = "qa"
    rule.save()
    inbox(exception_event(environment="staging"))
    inbox(exception_event(environment="qa"))
    assert (digest_until_empty().filtered, Event.objects.count()) == (1, 1)
    rule.is_active = False
    rule.save()
    inbox(exception_event(environment="qa"))
    assert digest_until_empty().filtered == 0
    assert inbound_filters.active_filters([project.id]) == {}


@pytest.mark.django_db
def test_compiled_groups_name_the_filter_that_matched(project):
    old = InboundFilter.objects.create(project=project, kind=Kind.RELEASE, pattern="0.*")
    new = InboundFilter.objects.create(project=project, kind=Kind.RELEASE, pattern="*-beta")
    browser = InboundFilter.objects.create(project=project, kind=Kind.TAG, pattern="browser:Chrome*")
    region = InboundFilter.objects.create(project=project, kind=Kind.TAG, pattern="region:eu-?")
    office = InboundFilter.objects.create(project=project, kind=Kind.CLIENT_IP, pattern="10.0.0.0/8")
    (filters,) = inbound_filters.active_filters([project.id]).values()
    assert filters.first_match(exception_event(release="0.9")) == old.id
    assert filters.first_match(exception_event(release="2.0-beta")) == new.id
    assert filters.first_match(exception_event(tags={"region": "eu-1"})) == region.id
    assert filters.first_match(exception_event(tags={"browser": "Chrome 1", "region": "us"})) == browser.id
    assert filters.first_match(exception_event(user={"ip_address": "10.9.9.9"})) == office.id
    assert filters.first_match(exception_event(release="1.0", tags={"region": "eu-10"})) is None


@given(
    path=st.lists(
        st.sampled_from(["/", "health", "healthz", "ping", "-", "alive", "_health", "x", "livez", "heartbeat", "?"]),
        max_size=6,
    ).map("".join)
)
def test_the_health_check_expression_matches_what_its_globs_match(path):
    expected = any(glob_match(glob, path) for glob in inbound_filters.HEALTH_CHECK_GLOBS)
    assert (inbound_filters.HEALTH_CHECK_PATH.search(path) is not None) == expected


@pytest.mark.parametrize(
    ("url", "host", "path"),
    [
        ("https://user:pw@Shop.Example:8443/a/b?q=1#top", "shop.example", "/a/b"),
        ("http://[::1]:8000/healthz", "::1", "/healthz"),
        ("http://localhost", "localhost", ""),
        ("/ping?x", "", "/ping"),
        ("", "", ""),
    ],
)
def test_urls_are_read_for_host_and_path(url, host, path):
    assert inbound_filters._host_and_path(url) == (host, path)
