import pytest
from django.db import connection, transaction

from issues.models import Issue
from issues.search import MAX_TERMS, IssueQuery, parse_query, search_issues
from tests.frontend.factories import make_issue


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", IssueQuery()),
        ("is:unresolved", IssueQuery(statuses=["unresolved"])),
        ("IS:Resolved Level:ERROR", IssueQuery(statuses=["resolved"], levels=["error"])),
        ("release:1.2 environment:production", IssueQuery(tags=[("release", "1.2"), ("environment", "production")])),
        (
            'environment:"staging eu" "connection reset"',
            IssueQuery(words=["connection reset"], tags=[("environment", "staging eu")]),
        ),
        ("url:http://x/y", IssueQuery(tags=[("url", "http://x/y")])),
        (":x y: :", IssueQuery(words=[":x", "y:", ":"])),
        ('"unbalanced quote', IssueQuery(words=["unbalanced", "quote"])),
        ("a\x00b", IssueQuery(words=["ab"])),
    ],
)
def test_parse_query(text, expected):
    assert parse_query(text) == expected


def test_long_queries_are_cut():
    query = parse_query(" ".join(f"word{i}" for i in range(100)) + " " + "x" * 1000)
    assert len(query.words) == MAX_TERMS and all(len(word) <= 200 for word in query.words)


@pytest.mark.django_db
def test_free_text_matches_any_of_the_fields_ignoring_case_but_never_across_them(project):
    by_title = make_issue(project, title="TimeoutError: upstream", culprit="a", metadata={})
    by_culprit = make_issue(project, title="ValueError", culprit="payments.stripe in charge", metadata={})
    by_value = make_issue(project, title="Logged", culprit="b", metadata={"value": "Straße gesperrt 50%"})
    make_issue(project, title="ends with", culprit="starts here", metadata={"value": None})

    def found(text):
        return set(search_issues(None, text).values_list("id", flat=True))

    assert found("TIMEOUT upstream") == {by_title.pk}
    assert found("Stripe") == {by_culprit.pk}
    assert found('"STRASSE gesperrt"') == set() and found("straße") == {by_value.pk}
    assert found("50%") == {by_value.pk} and found("%") == {by_value.pk}  # LIKE wildcards are literal
    assert found('"with starts"') == set()  # the end of the title and the start of the culprit are not a phrase


@pytest.mark.django_db
def test_free_text_search_uses_the_trigram_index_on_postgresql(project):
    make_issue(project, title="TimeoutError: upstream")
    migrated_indexes = connection.introspection.get_constraints(connection.cursor(), Issue._meta.db_table)
    if connection.vendor != "postgresql":
        assert "issue_search_document_trigram" not in migrated_indexes  # PostgreSQL only; SQLite keeps scanning
        assert search_issues(None, "timeout").count() == 1
        return
    assert "issue_search_document_trigram" in migrated_indexes
    with transaction.atomic(), connection.cursor() as cursor:
        # A test table is tiny, so a sequential scan would win on cost; forbid it to see whether the index fits.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = search_issues(None, "timeout").explain()
    assert "issue_search_document_trigram" in plan, plan
