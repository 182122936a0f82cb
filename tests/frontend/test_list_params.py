"""Whatever the query string of an issue list (page or API), the answer is a page or a clear 4xx, never a 500."""

from urllib.parse import quote

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.frontend.factories import make_issue

pytestmark = pytest.mark.django_db

PARAMS = ["q", "sort", "cursor", "level", "environment", "release", "project"]
# Values near the edges of what the lists parse: dates beyond datetime's range once moved to UTC, integers beyond
# 64 bits, digits that are not ASCII, NUL, separators of the cursor.
EDGES = [
    "0001-01-01T00:00:00+14:00~1",
    "9999-12-31T23:59:59-14:00~1",
    "0001-01-01T00:00:00~1",
    "2026-01-01T00:00:00+00:00~99999999999999999999999",
    "2026-01-01T00:00:00+00:00~-1",
    "99999999999999999999999~1",
    "-99999999999999999999999~1",
    "1e309~1",
    "nan~nan",
    "~",
    "~~~",
    "²",
    "٣",
    "99999999999999999999",
    "-1",
    "\x00",
    "a\x00b~1",
    "is:",
    ':"',
    '"',
    "first_seen",
    "times_seen",
    "users",
    "last_seen",
]
values = st.sampled_from(EDGES) | st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
queries = st.dictionaries(st.sampled_from(PARAMS), values, min_size=1, max_size=len(PARAMS))


@pytest.fixture
def lists(project):
    for n in range(3):
        make_issue(project, title=f"Failure {n}")
    return [
        reverse("all-issues"),
        reverse("project-issues", args=[project.pk]),
        reverse("api-issues"),
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries, which=st.integers(0, 2))
def test_no_query_string_makes_a_list_fail(member_client, lists, query, which):
    response = member_client.get(lists[which], query)
    assert response.status_code in (200, 400, 404), (lists[which], query, response.status_code)


@pytest.mark.parametrize("edge", EDGES)
@pytest.mark.parametrize("sort", ["last_seen", "first_seen", "times_seen", "users"])
def test_every_edge_cursor_in_every_sort(member_client, lists, edge, sort):
    for url in lists:
        response = member_client.get(url, {"sort": sort, "cursor": edge})
        assert response.status_code in (200, 400), (url, sort, edge, response.status_code)


@pytest.mark.parametrize(
    "raw", [b"cursor=%ff%fe~1", b"q=%c3%28", b"sort=%00", b"project=%f0%9f%98%80", b"project=%c2%b2", b"cursor=%", b"q"]
)
def test_undecodable_query_strings(member_client, lists, raw):
    for url in lists:
        response = member_client.get(url, QUERY_STRING=raw.decode("latin-1"))
        assert response.status_code in (200, 400, 404), (url, raw, response.status_code)


def test_the_reported_cursor_is_not_a_server_error(member_client, lists):
    # /issues/?sort=first_seen&cursor=0001-01-01T00:00:00%2B14:00~1 was an OverflowError on SQLite (the API too).
    for url in lists:
        response = member_client.get(f"{url}?sort=first_seen&cursor={quote('0001-01-01T00:00:00+14:00~1')}")
        assert response.status_code in (200, 400)
