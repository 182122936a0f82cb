"""Inbound filters in Debian's chromium against a real server: create a filter, see its preview, save it, send a
matching event with the real sentry-sdk, and see it counted beside the filter and not stored."""

import pytest

from issues.models import Event, Issue
from tests.e2e.conftest import watch_csp_violations
from tests.e2e.test_browser_ui import send_with_sentry_sdk, shot
from tests.frontend.factories import PASSWORD, make_user
from tests.waiting import wait_for

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_page(browser, tracehound_server, team):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    csp_violations = watch_csp_violations(context)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    user = make_user(team, "ada")  # an admin of the project's team
    page.goto(f"{tracehound_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{tracehound_server.url}/")
    yield page
    context.close()
    assert csp_violations == []


def test_a_filter_previewed_saved_and_dropping_a_real_sdk_event(
    admin_page, tracehound_server, project, project_key, tmp_path
):
    page, base = admin_page, tracehound_server.url
    dsn = tracehound_server.dsn(project_key)
    send_with_sentry_sdk(tmp_path, dsn)
    issue = wait_for(lambda: Issue.objects.filter(project=project, title__startswith="ZeroDivisionError").first(), 10)
    assert issue is not None

    page.goto(f"{base}/projects/{project.pk}/settings/")
    page.click("text=Inbound filters")
    page.click("text=New filter")
    page.select_option("select[name=kind]", "exception_type")
    page.fill("input[name=pattern]", "ZeroDivision*")
    page.click("button[name=preview]")
    summary = page.locator("#preview-summary")
    assert "would have dropped 1 event of 1 issue" in summary.inner_text()
    assert "ZeroDivisionError" in page.locator("#preview table").inner_text()
    shot(page, "filter-preview")

    page.click("button:has-text('Create filter')")
    page.wait_for_url(f"{base}/projects/{project.pk}/filters/")
    row = page.locator("table.filters tbody tr").first
    assert "ZeroDivision*" in row.inner_text() and row.locator(".dropped-today").inner_text() == "0"

    send_with_sentry_sdk(tmp_path, dsn)

    def counted():
        page.reload()
        return page.locator("table.filters .dropped-today").first.inner_text() == "1"

    assert wait_for(counted, 15)
    shot(page, "filter-counted")
    issue.refresh_from_db()
    assert issue.times_seen == 1 and Event.objects.filter(project=project).count() == 1
    page.goto(f"{base}/issues/{issue.pk}/")
    assert page.locator("#issue-stats dd").first.inner_text().startswith("1 ")
    assert page.errors == []
