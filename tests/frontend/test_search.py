import pytest

from issues.search import MAX_TERMS, IssueQuery, parse_query


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
