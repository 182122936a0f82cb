import pytest
from django.db import connection, transaction
from django.urls import reverse

from issues.models import Issue
from issues.search import MAX_TERMS, IssueQuery, parse_query, query_hints, search_issues
from tests.frontend.factories import add_tag, make_issue


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


@pytest.mark.django_db
def test_release_matches_by_version_and_browser_by_name(project):
    releases = {value: make_issue(project, title=value) for value in ("shop@1.1", "1.1.4", "shop@1.1-rc2", "1.10")}
    for value, issue in releases.items():
        add_tag(issue, "release", value)
    firefox = make_issue(project, title="firefox")
    add_tag(firefox, "browser", "Firefox 133.0")

    def found(text):
        return {issue.title for issue in search_issues(None, text)}

    assert found("release:1.1") == {"shop@1.1", "1.1.4", "shop@1.1-rc2"}
    assert found("release:shop@1.1") == {"shop@1.1", "shop@1.1-rc2"}
    assert found("release:1.10") == {"1.10"} and found("release:1") == set(releases)
    assert found("browser:Firefox") == found('browser:"Firefox 133.0"') == {"firefox"}
    assert found("browser:Fire") == set()


@pytest.mark.django_db
def test_terms_that_cannot_match_are_named(project, foreign_project):
    issue = make_issue(project)
    add_tag(issue, "customer", "acme")
    add_tag(make_issue(foreign_project), "tenant", "x")
    mine = Issue.objects.filter(project=project)

    def hints(text):
        return query_hints(mine, parse_query(text))

    assert hints("is:unresolved level:error customer:acme browser:Firefox user.email:a@b.c url:/x") == []
    assert hints("is:unresolvd level:err") == [
        "is:unresolvd is not a status; use one of unresolved, resolved, muted.",
        "level:err is not a level; use one of fatal, error, warning, info, debug.",
    ]
    # A key that only another project's events carried is unknown here: no leak of other projects' tag names
    # either, since the hint only repeats what was typed.
    assert hints("tenant:x costumer:acme costumer:b") == [
        "No event here has a tag tenant, so tenant: matches nothing.",
        "No event here has a tag costumer, so costumer: matches nothing.",
    ]


@pytest.mark.django_db
def test_the_list_and_the_api_show_the_hints(member_client, project):
    add_tag(make_issue(project), "customer", "acme")
    page = member_client.get(reverse("project-issues", args=[project.pk]), {"q": "costumer:<b>acme</b>"})
    assert page.status_code == 200
    assert "No event here has a tag costumer, so costumer: matches nothing." in page.content.decode()
    assert "<b>acme" not in page.content.decode()
    api = member_client.get(reverse("api-issues"), {"project": project.pk, "q": "customer:acme is:nope"}).json()
    assert api["count"] == 0 and api["hints"] == ["is:nope is not a status; use one of unresolved, resolved, muted."]
