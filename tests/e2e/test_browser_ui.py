"""The triage UI in Debian's chromium (driven by Playwright) against a real server process.

Screenshots go to test-output/ for a reviewer to look at the pages.
"""

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, watch_csp_violations
from tests.frontend.factories import PASSWORD, make_event, make_grouping, make_issue, make_user
from tests.frontend.test_security import SCRIPT, xss_event

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "test-output"
LIVE_BUDGET_SECONDS = 2.0

# A small program that fails the way an application does: locals, breadcrumbs, source lines from a real file.
APP = """
import logging, sys
import sentry_sdk

sentry_sdk.init(dsn=sys.argv[1], release="shop@2.4.1", environment="production")
sentry_sdk.add_breadcrumb(category="auth", message="user ada logged in", level="info")
logging.getLogger("shop").warning("basket %s is empty", 17)

def basket_total(prices, coupon_count):
    subtotal = sum(prices)
    return subtotal / coupon_count

try:
    basket_total([10, 20], coupon_count=int(sys.argv[2]))
except ZeroDivisionError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(timeout=10)
"""


@pytest.fixture
def page(browser, tracehound_server, team):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    csp_violations = watch_csp_violations(context)
    page = context.new_page()
    dialogs, errors = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.dialogs, page.errors = dialogs, errors
    user = make_user(team, "ada")
    page.goto(f"{tracehound_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{tracehound_server.url}/")
    yield page
    context.close()
    assert csp_violations == []  # every browser test's pages, not only the one that looks for violations


def watch_for(page, selector: str, text: str) -> None:
    """Record in the page the moment (its wall clock, in ms) an element matching `selector` first holds `text`.

    The live budget is about when the page shows the change, so it is measured in the page: how soon the test's
    own polling notices (a round trip through Playwright's driver, slow on a loaded machine) is not the product's.
    """
    page.evaluate(
        """([selector, text]) => {
            window.shownAt = null;
            const check = () => {
                const element = document.querySelector(selector);
                if (window.shownAt === null && element && element.textContent.includes(text)) {
                    window.shownAt = Date.now();
                }
            };
            new MutationObserver(check).observe(document.body, {childList: true, subtree: true, characterData: true});
            check();
        }""",
        [selector, text],
    )


def seconds_until_shown(page, locator, accepted: float) -> float:
    """Seconds from `accepted` (time.time()) until the watched element appeared, waiting up to 10 s for it."""
    locator.wait_for(timeout=10_000)  # generous: the assertion is on the page's own timestamp, not on this wait
    return page.evaluate("window.shownAt") / 1000 - accepted


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def send_with_sentry_sdk(tmp_path: Path, dsn: str) -> None:
    script = tmp_path / "shop_app.py"
    script.write_text(APP)
    # Run from the app's folder: sentry-sdk counts frames under the working directory as in-app.
    done = subprocess.run(
        [sys.executable, str(script), dsn, "0"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_an_event_sent_with_sentry_sdk_appears_live_and_its_page_shows_frames(
    page, tracehound_server, project, project_key, tmp_path
):
    page.goto(f"{tracehound_server.url}/")
    assert page.locator("main table", has_text=project.name).is_visible()
    shot(page, "projects")
    page.goto(f"{tracehound_server.url}/projects/{project.pk}/issues/")
    page.wait_for_selector("body[data-live=open]", timeout=5000)
    assert page.locator("#no-issues").is_visible()
    page.evaluate("window.notReloaded = true")
    shot(page, "issue-list-empty")
    watch_for(page, "tr.issue-row", "ZeroDivisionError")

    send_with_sentry_sdk(tmp_path, tracehound_server.dsn(project_key))
    accepted = time.time()  # the SDK's flush returned: ingest has answered 200 for the event
    row = page.locator("tr.issue-row", has_text="ZeroDivisionError")
    elapsed = seconds_until_shown(page, row, accepted)
    assert elapsed < LIVE_BUDGET_SECONDS, f"the issue appeared after {elapsed:.2f} s"
    assert page.evaluate("window.notReloaded") is True  # pushed into the open page, not a reload
    assert page.locator("#issue-count").inner_text() == "1" and page.locator("#no-issues").count() == 0
    assert "shop@2.4.1" in row.inner_text()
    shot(page, "issue-list-live")

    row.locator("a").first.click()
    page.wait_for_selector("h1.issue-title")
    page.wait_for_selector("body[data-live=open]", timeout=5000)
    in_app = page.locator("details.frame.in-app[open]").last  # the crashing frame, in basket_total
    assert in_app.is_visible() and "in basket_total" in in_app.locator("summary").inner_text()
    assert in_app.locator(".line.current").inner_text().strip().endswith("return subtotal / coupon_count")
    assert in_app.locator("table.vars").inner_text().count("coupon_count") == 1
    assert "subtotal" in in_app.locator("table.vars").inner_text()
    assert "user ada logged in" in page.locator("#breadcrumbs").inner_text()
    # Breadcrumb times in the viewer's time zone (the browser's is UTC here), the UTC time on hover.
    crumb_time = page.locator("#breadcrumbs time").first
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", crumb_time.inner_text())
    assert crumb_time.get_attribute("title").endswith(" UTC")
    # Only the frame where it broke is open; the others are a click away.
    assert page.locator("details.frame[open]").count() == 1
    assert "basket 17 is empty" in page.locator("#breadcrumbs").inner_text()
    shot(page, "issue-detail")

    # A second occurrence while the issue page is open: a notice, without a reload.
    watch_for(page, "#new-events", "1 new event")
    send_with_sentry_sdk(tmp_path, tracehound_server.dsn(project_key))
    accepted = time.time()
    elapsed = seconds_until_shown(page, page.locator("#new-events", has_text="1 new event"), accepted)
    assert elapsed < LIVE_BUDGET_SECONDS, f"the notice appeared after {elapsed:.2f} s"
    assert page.locator("#issue-stats").inner_text().count("2") >= 1
    shot(page, "issue-detail-new-event")
    assert page.dialogs == [] and page.errors == []


def test_hostile_event_text_renders_inert(page, tracehound_server, project, project_key):
    issue = make_issue(project, title=SCRIPT + '"><img src=x onerror=alert(1)>', culprit=SCRIPT)
    make_event(issue, xss_event())
    make_grouping(issue, SCRIPT)
    page.goto(f"{tracehound_server.url}/projects/{project.pk}/issues/")
    assert page.locator("tr.issue-row a", has_text="<script>").first.is_visible()
    page.goto(f"{tracehound_server.url}/issues/{issue.pk}/")
    page.wait_for_selector("h1.issue-title")
    assert page.locator("h1.issue-title").inner_text().startswith("<script>alert('xss')</script>")
    assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    page.click("#request code")  # the javascript: URL is plain text; clicking it does nothing
    shot(page, "issue-detail-hostile")
    assert page.dialogs == []

    # After a reconnect the list refetches itself: pushes missed while the socket was down are not lost.
    page.goto(f"{tracehound_server.url}/projects/{project.pk}/issues/")
    page.wait_for_selector("body[data-live=open]", timeout=5000)
    missed = make_issue(project, title="Missed while offline")
    page.evaluate("document.body.dispatchEvent(new CustomEvent('htmx:wsOpen', {bubbles: true}))")
    page.locator(f"#issue-{missed.pk}").wait_for(timeout=3000)
    assert page.locator("tr.issue-row").count() == 2

    page.goto(f"{tracehound_server.url}/projects/{project.pk}/settings/")
    assert page.locator("#dsn").inner_text() == tracehound_server.dsn(project_key)
    assert '"class": "tracehound.Handler"' in page.locator("#logging-snippet").inner_text()
    shot(page, "project-settings")
    assert page.errors == []


def test_triage_from_the_issue_page_and_from_the_list(page, tracehound_server, project):
    first = make_issue(project, title="PaymentDeclined: card expired")
    second = make_issue(project, title="TimeoutError: upstream took too long")
    make_event(first)
    page.goto(f"{tracehound_server.url}/issues/{first.pk}/")
    page.click("#issue-actions button[value=resolve]")
    page.locator("#issue-actions button[value=unresolve]").wait_for()
    assert "resolved" in page.locator("#issue-stats").inner_text()
    assert "resolved" in page.locator("#history").inner_text() and "by ada" in page.locator("#history").inner_text()
    shot(page, "issue-detail-resolved")

    page.goto(f"{tracehound_server.url}/projects/{project.pk}/issues/")
    assert page.locator("tr.issue-row").count() == 1  # the resolved issue left the unresolved list
    page.check(f"#issue-{second.pk} input[type=checkbox]")
    page.select_option("#bulk-actions select[name=duration]", "24h")
    shot(page, "issue-list-selected")
    page.click("#bulk-actions button[value=mute]")
    page.locator("#no-issues").wait_for()
    second.refresh_from_db()
    assert second.status == "muted" and second.muted_until is not None
    page.goto(f"{tracehound_server.url}/projects/{project.pk}/issues/?q=is:muted")
    assert page.locator(f"#issue-{second.pk}").is_visible()
    assert page.dialogs == [] and page.errors == []
