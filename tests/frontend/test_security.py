"""Access scoping, untrusted event text and CSRF: each rule of the UI's security as one test."""

import json
import re

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


def xss_event() -> dict:
    data = event_data(
        message=PAYLOAD,
        release=PAYLOAD,
        environment=PAYLOAD,
        logger=PAYLOAD,
        transaction=PAYLOAD,
        server_name=PAYLOAD,
        logentry={"message": PAYLOAD + " %s", "params": [PAYLOAD]},
        tags=[[PAYLOAD, PAYLOAD]],
        contexts={PAYLOAD: {PAYLOAD: PAYLOAD}},
        extra={PAYLOAD: PAYLOAD},
        fingerprint=[PAYLOAD],
        user={"id": PAYLOAD, "email": PAYLOAD, "url": "javascript:alert(1)", "username": PAYLOAD},
        request={
            "method": PAYLOAD,
            "url": "javascript:alert(document.cookie)",
            "query_string": PAYLOAD,
            "headers": {PAYLOAD: PAYLOAD},
            "cookies": {PAYLOAD: PAYLOAD},
            "data": {PAYLOAD: PAYLOAD},
            "env": {},
        },
        breadcrumbs={
            "values": [
                {
                    "timestamp": PAYLOAD,
                    "type": PAYLOAD,
                    "category": PAYLOAD,
                    "level": PAYLOAD,
                    "message": PAYLOAD,
                    "data": {PAYLOAD: PAYLOAD},
                }
            ]
        },
        sdk={"name": PAYLOAD, "version": PAYLOAD},
        _meta={"notes": [{"path": PAYLOAD, "note": PAYLOAD}]},
    )
    exception = data["exception"]["values"][0]
    exception.update(type=PAYLOAD, value=PAYLOAD, module=PAYLOAD, mechanism={"type": PAYLOAD, "handled": False})
    for frame in exception["stacktrace"]["frames"]:
        frame.update(
            filename=PAYLOAD,
            function=PAYLOAD,
            module=PAYLOAD,
            context_line=PAYLOAD,
            pre_context=[PAYLOAD],
            post_context=[PAYLOAD],
            vars={PAYLOAD: PAYLOAD},
        )
    return data


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
