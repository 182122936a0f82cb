"""The monitors page in Debian's chromium, under the Content-Security-Policy: it refreshes itself when a check-in
changes a monitor's state, and the snippets' copy buttons work."""

import time
from urllib.request import urlopen

import pytest

from monitors.models import Monitor
from tests.e2e.conftest import watch_csp_violations
from tests.e2e.test_browser_csp import log_in
from tests.frontend.factories import make_user

pytestmark = pytest.mark.browser


def test_the_monitors_page_refreshes_itself_and_copies_snippets(browser, tracehound_server, team, project, project_key):
    url = tracehound_server.url
    make_user(team, "ada")
    monitor = Monitor.objects.create(project=project, name="Nightly backup", slug="nightly-backup", crontab="0 3 * * *")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    violations = watch_csp_violations(context)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{url}/accounts/login/")
    log_in(page, url, "ada")
    page.goto(f"{url}/projects/{project.id}/monitors/")
    state = page.locator(f"#monitor-{monitor.id} .monitor-state")
    assert state.inner_text() == "New"

    with urlopen(
        f"{url}/api/{project.id}/heartbeat/nightly-backup/{project_key.public_key}/fail", timeout=10
    ) as answer:
        assert answer.status == 200
    deadline = time.monotonic() + 25  # the region refreshes every 15 s
    while state.inner_text() != "Failed" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert state.inner_text() == "Failed"
    assert page.locator(f"#monitor-{monitor.id} .check-in.status-error").count() == 1

    page.goto(f"{url}/projects/{project.id}/monitors/{monitor.id}/")
    page.click("button[data-copy=crontab-snippet]")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("0 3 * * * curl -fsS") and project_key.public_key in copied
    assert violations == [] and errors == []
