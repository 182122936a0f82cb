"""Every kind of page under the Content-Security-Policy in Debian's chromium: each works, none reports a violation.

Screenshots go to test-output/ (csp-*.png).
"""

import time

import pytest
from django.contrib.auth import get_user_model

from tests.e2e.conftest import watch_csp_violations
from tests.e2e.test_browser_ui import (
    LIVE_BUDGET_SECONDS,
    seconds_until_shown,
    send_with_sentry_sdk,
    shot,
    watch_for,
)
from tests.frontend.factories import PASSWORD, add_tag, make_event, make_issue, make_user

pytestmark = pytest.mark.browser


def log_in(page, url: str, username: str, password: str = PASSWORD) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("[type=submit]")
    page.wait_for_load_state()


def test_pages_work_under_the_policy_without_a_violation(
    browser, tracehound_server, team, project, project_key, tmp_path
):
    url = tracehound_server.url
    make_user(team, "ada")
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    tagged = make_issue(project, title="KeyError: 'basket'")
    make_event(tagged)
    add_tag(tagged, "browser", "Firefox", times_seen=3)
    add_tag(tagged, "browser", "Chrome", times_seen=1)

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    violations = watch_csp_violations(context)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    header = page.goto(f"{url}/accounts/login/").headers["content-security-policy"]
    assert "script-src 'self'" in header and "style-src 'self'" in header and "unsafe" not in header
    shot(page, "csp-login")

    # Failed logins past the limit: the form says how long to wait. The limit counts per clock minute, so a run of
    # attempts that crosses into the next minute is refused at its 11th attempt there (unit tests pin the clock).
    for _ in range(21):
        log_in(page, url, "not-a-user", "wrong")
        if "Too many failed logins" in page.locator("main [role=alert]").inner_text():
            break
    assert "Too many failed logins" in page.locator("main [role=alert]").inner_text()
    shot(page, "csp-login-refused")

    log_in(page, url, "ada")
    page.wait_for_url(f"{url}/")
    assert page.locator("main table", has_text=project.name).is_visible()
    shot(page, "csp-home")

    # The live list: its websocket (connect-src 'self') opens and a new issue arrives without a reload.
    page.goto(f"{url}/projects/{project.pk}/issues/")
    page.wait_for_selector("body[data-live=open]", timeout=5000)
    watch_for(page, "tr.issue-row", "ZeroDivisionError")
    send_with_sentry_sdk(tmp_path, tracehound_server.dsn(project_key))
    accepted = time.time()
    row = page.locator("tr.issue-row", has_text="ZeroDivisionError")
    assert seconds_until_shown(page, row, accepted) < LIVE_BUDGET_SECONDS
    shot(page, "csp-issue-list")

    # The issue page: live too, and the tag facets' bars drawn without inline styles.
    page.goto(f"{url}/issues/{tagged.pk}/")
    page.wait_for_selector("body[data-live=open]", timeout=5000)
    bars = page.locator("#facets svg.bar")
    assert bars.count() == 2
    widths = [bars.nth(i).locator("rect").bounding_box()["width"] for i in range(2)]
    assert widths[0] == pytest.approx(3 * widths[1], rel=0.05)  # 75% and 25% of the same width
    shot(page, "csp-issue-facets")
    page.goto(f"{url}/projects/{project.pk}/issues/")
    page.locator("tr.issue-row a", has_text="ZeroDivisionError").click()
    page.wait_for_selector("body[data-live=open]", timeout=5000)
    watch_for(page, "#new-events", "1 new event")
    send_with_sentry_sdk(tmp_path, tracehound_server.dsn(project_key))
    accepted = time.time()
    notice = page.locator("#new-events", has_text="1 new event")
    assert seconds_until_shown(page, notice, accepted) < LIVE_BUDGET_SECONDS
    shot(page, "csp-issue-detail")

    # Project settings: the copy buttons' script runs.
    page.goto(f"{url}/projects/{project.pk}/settings/")
    page.click("button[data-copy=dsn]")
    page.locator("button[data-copy=dsn]", has_text="Copied").wait_for(timeout=3000)
    assert page.evaluate("navigator.clipboard.readText()") == tracehound_server.dsn(project_key)
    shot(page, "csp-project-settings")

    page.goto(f"{url}/no/such/page/")
    assert page.locator("h1").inner_text() == "Not found"
    shot(page, "csp-404")

    # The admin, signed in as a superuser: its index, a list, and forms with its widgets and their scripts.
    page.goto(f"{url}/admin/login/")
    log_in(page, url, "root")
    page.wait_for_url(f"{url}/admin/")
    shot(page, "csp-admin")
    page.goto(f"{url}/admin/projects/project/")
    page.goto(f"{url}/admin/projects/project/{project.pk}/change/")
    page.wait_for_selector("#id_teams_filter")  # filter_horizontal, built by the admin's script
    shot(page, "csp-admin-project")
    page.goto(f"{url}/admin/projects/team/add/")
    page.locator("#id_name").press_sequentially("Web Team")
    assert page.input_value("#id_slug") == "web-team"  # prepopulated by the admin's script

    # The API docs: Swagger UI builds the page from the schema with its script served from a URL.
    page.goto(f"{url}/api/ui/docs/")
    page.locator(".opblock", has_text="/api/ui/issues/").first.wait_for(timeout=10_000)
    shot(page, "csp-api-docs")

    context.close()
    assert violations == []
    assert errors == []
