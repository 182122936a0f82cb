"""Access scoping, untrusted event text and CSRF: each rule of the UI's security as one test."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from issues.models import Issue
from tests.frontend.factories import PASSWORD, add_tag, event_data, make_event, make_grouping, make_issue

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('xss')</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = SCRIPT + IMG


def test_another_teams_project_issue_and_event_are_404_in_pages_and_api(member_client, project, foreign_project):
    foreign_issue = make_issue(foreign_project, title="Secret failure")
    foreign_event = make_event(foreign_issue)
    own_issue = make_issue(project)
    urls = [
        reverse("project-issues", args=[foreign_project.pk]),
        reverse("project-settings", args=[foreign_project.pk]),
        reverse("issue", args=[foreign_issue.pk]),
        reverse("issue-event", args=[foreign_issue.pk, foreign_event.pk]),
        # A foreign event under one's own issue id is not found either.
        reverse("issue-event", args=[own_issue.pk, foreign_event.pk]),
        reverse("api-issue", args=[foreign_issue.pk]),
        reverse("api-event", args=[foreign_issue.pk, foreign_event.pk]),
        reverse("api-event", args=[own_issue.pk, foreign_event.pk]),
        f"{reverse('api-issues')}?project={foreign_project.pk}",
        f"{reverse('api-issues')}?project=abc",
    ]
    for url in urls:
        response = member_client.get(url)
        assert response.status_code == 404, url
        assert b"Secret" not in response.content
    listing = member_client.get(reverse("api-issues")).json()
    assert [row["id"] for row in listing["results"]] == [own_issue.pk]
    assert Issue.objects.filter(pk=foreign_issue.pk, times_seen=1).exists()  # no side effect


def test_the_api_needs_a_session(client, project):
    issue = make_issue(project)
    assert client.get(reverse("api-issue", args=[issue.pk])).status_code in (401, 403)


def hostile_event(text: str) -> dict:
    """An event carrying `text` in every field that the issue page shows."""
    data = event_data(
        message=text,
        release=text,
        environment=text,
        logger=text,
        transaction=text,
        server_name=text,
        logentry={"message": text + " %s", "params": [text]},
        tags=[[text, text]],
        contexts={text: {text: text}},
        extra={text: text},
        fingerprint=[text],
        user={"id": text, "email": text, "url": "javascript:alert(1)", "username": text},
        request={
            "method": text,
            "url": "javascript:alert(document.cookie)",
            "query_string": text,
            "headers": {text: text},
            "cookies": {text: text},
            "data": {text: text},
            "env": {},
        },
        breadcrumbs={
            "values": [
                {
                    "timestamp": text,
                    "type": text,
                    "category": text,
                    "level": text,
                    "message": text,
                    "data": {text: text},
                }
            ]
        },
        sdk={"name": text, "version": text},
        _meta={"notes": [{"path": text, "note": text}]},
    )
    exception = data["exception"]["values"][0]
    exception.update(type=text, value=text, module=text, mechanism={"type": text, "handled": False})
    for frame in exception["stacktrace"]["frames"]:
        frame.update(
            filename=text,
            function=text,
            module=text,
            context_line=text,
            pre_context=[text],
            post_context=[text],
            vars={text: text},
        )
    return data


def xss_event() -> dict:
    return hostile_event(PAYLOAD)


def assert_inert(html: str):
    assert SCRIPT not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html
    assert not re.search(r"""href=["']?\s*javascript:""", html, re.IGNORECASE)
    # The only scripts on a page are ours: vendored files and the JSON config.
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag


def test_event_text_renders_inert_on_the_issue_page(member_client, project):
    issue = make_issue(
        project,
        title=PAYLOAD,
        culprit=PAYLOAD,
        level=PAYLOAD[:16],
        first_release=PAYLOAD[:250],
        last_release=PAYLOAD[:250],
    )
    make_event(issue, xss_event())
    make_grouping(issue, PAYLOAD)
    add_tag(issue, PAYLOAD, PAYLOAD)
    html = member_client.get(reverse("issue", args=[issue.pk])).content.decode()
    assert_inert(html)
    assert "javascript:alert(document.cookie)" in html  # shown as text, never as a link
    assert html.count(SCRIPT.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#x27;")) > 20


def test_event_text_renders_inert_in_the_list_and_the_api(member_client, project):
    issue = make_issue(project, title=PAYLOAD, culprit=PAYLOAD, last_release=PAYLOAD[:250])
    make_event(issue, xss_event())
    assert_inert(member_client.get(reverse("project-issues", args=[project.pk])).content.decode())
    response = member_client.get(reverse("api-issue", args=[issue.pk]))
    assert response["Content-Type"] == "application/json"


def test_data_for_scripts_goes_through_json_script(member_client, project):
    response = member_client.get(reverse("project-issues", args=[project.pk]), {"q": "</script><script>alert(1)//"})
    html = response.content.decode()
    assert "</script><script>alert(1)" not in html
    config = re.search(r'<script id="live-config" type="application/json">(.*?)</script>', html).group(1)
    # json_script's escaping of HTML-special characters, and the value intact for the script that reads it.
    assert "&" not in config and "\\u0026" in config
    assert "q=%3C%2Fscript%3E%3Cscript%3Ealert%281%29" in json.loads(config)["socket"]


def test_only_http_links_are_made_from_event_urls(member_client, project):
    issue = make_issue(project)
    for url in ("JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,x", "vbscript:x", "//evil.example/"):
        data = event_data(
            request={
                "method": "GET",
                "url": url,
                "query_string": "",
                "headers": {},
                "cookies": {},
                "data": None,
                "env": {},
            }
        )
        event = make_event(issue, data)
        html = member_client.get(reverse("issue-event", args=[issue.pk, event.pk])).content.decode()
        assert f'href="{url}' not in html and f'href="{url.strip()}' not in html, url


def test_state_changing_forms_need_the_csrf_token(project, member):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("login"), {"username": "ada", "password": PASSWORD}).status_code == 403
    page = client.get(reverse("login"))
    token = page.cookies["csrftoken"].value
    assert (
        client.post(
            reverse("login"), {"username": "ada", "password": PASSWORD, "csrfmiddlewaretoken": token}
        ).status_code
        == 302
    )
    assert client.post(reverse("logout")).status_code == 403
    assert client.get(reverse("home")).status_code == 200  # still logged in
    html = client.get(reverse("project-issues", args=[project.pk])).content.decode()
    for form in re.findall(r'<form[^>]*method="post".*?</form>', html, re.DOTALL):
        assert 'name="csrfmiddlewaretoken"' in form


@pytest.mark.parametrize(
    "url",
    [
        "/issues/99999999999999999999999/",
        "/issues/1/events/99999999999999999999999/",
        "/projects/99999999999999999999999/issues/",
        "/projects/99999999999999999999999/settings/",
        "/api/ui/issues/99999999999999999999999/",
        "/api/ui/issues/?project=99999999999999999999999",
    ],
)
def test_ids_out_of_range_are_404_not_500(member_client, project, url):
    make_issue(project)
    assert member_client.get(url).status_code == 404


BIDI = "\u202eexe.txt\u2066\u2069\u200f\u061c"  # a right-to-left override first: "txt.exe" read backwards


class BidiAudit(HTMLParser):
    """Records each text with a direction control and the element it stands in."""

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID_ELEMENTS:
            self.open.append(tag)

    def handle_endtag(self, tag):
        while self.open and self.open.pop() != tag:
            pass

    def handle_data(self, data):
        if any(control in data for control in BIDI_CONTROLS):
            self.found.append((self.open[-1] if self.open else "", data))


VOID_ELEMENTS = {"input", "br", "img", "meta", "link", "hr", "col", "source", "wbr"}
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def assert_isolated(html: str, at_least: int) -> None:
    audit = BidiAudit()
    audit.feed(html)
    assert len(audit.found) >= at_least
    outside = [(element, text) for element, text in audit.found if element != "bdi"]
    assert not outside, outside  # the title, which holds no elements, has the controls removed instead


def test_direction_controls_in_event_text_are_isolated(member_client, project, team):
    project.name = BIDI
    project.save()
    issue = make_issue(project, title=BIDI, culprit=BIDI, level=BIDI[:16], first_release=BIDI, last_release=BIDI)
    make_event(issue, hostile_event(BIDI))
    make_grouping(issue, BIDI)
    add_tag(issue, BIDI, BIDI)
    assert_isolated(member_client.get(reverse("issue", args=[issue.pk])).content.decode(), at_least=40)
    for url in (reverse("project-issues", args=[project.pk]), reverse("all-issues"), reverse("home")):
        assert_isolated(member_client.get(url).content.decode(), at_least=1)
    assert_isolated(member_client.get(reverse("project-settings", args=[project.pk])).content.decode(), at_least=1)
