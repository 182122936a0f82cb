"""The list as people use it every day, in Debian's chromium: on a phone, with bulk selection, with live pushes
for rows the page does not show; no console error anywhere."""

import pytest

from projects.services import create_project
from tests.e2e.conftest import watch_csp_violations
from tests.e2e.test_browser_csp import log_in
from tests.e2e.test_browser_ui import send_with_sentry_sdk, shot
from tests.frontend.factories import make_issue, make_user

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}
LONG_RELEASE = "shop-backend@2.14.0-rc.1+build.20261202.abcdef1234567890abcdef"
LONG_TITLE = "CheckoutError: cart 9 has no shipping address and the payment provider refused the card " * 2


def logged_in_page(browser, server, team, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.console_errors, page.csp_violations = [], watch_csp_violations(context)
    page.on(
        "console",
        lambda message: page.console_errors.append(f"{page.url}: {message.text}") if message.type == "error" else 0,
    )
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    user = make_user(team, "grace")
    page.goto(f"{server.url}/accounts/login/")
    log_in(page, server.url, user.username)
    page.wait_for_url(f"{server.url}/")
    return page


def widest_overflow(page) -> int:
    """How many pixels the page, or any box in it that scrolls sideways, is wider than it shows."""
    return page.evaluate(
        """() => Math.max(
            document.documentElement.scrollWidth - window.innerWidth,
            ...Array.from(document.querySelectorAll("main *")).map(element => {
                const style = getComputedStyle(element);
                const scrolls = ["auto", "scroll"].includes(style.overflowX);
                return scrolls ? element.scrollWidth - element.clientWidth : 0;
            }),
        )"""
    )


def test_home_list_and_settings_fit_a_phone(browser, tracehound_server, team, project, project_key):
    for n in range(3):
        make_issue(project, title=f"{LONG_TITLE}{n}", last_release=LONG_RELEASE)
    page = logged_in_page(browser, tracehound_server, team, PHONE)
    for name, path in [
        ("home", "/"),
        ("list", f"/projects/{project.pk}/issues/"),
        ("settings", f"/projects/{project.pk}/settings/"),
        ("alerts", f"/projects/{project.pk}/alerts/"),
    ]:
        page.goto(f"{tracehound_server.url}{path}")
        assert widest_overflow(page) <= 0, f"{name} scrolls sideways at 375 px"
        shot(page, f"phone-{name}")
    # The title takes the row's width, its details go beneath it.
    page.goto(f"{tracehound_server.url}/projects/{project.pk}/issues/")
    first_row = page.locator("tr.issue-row").first
    first_row.wait_for()
    title = first_row.locator("td.title a").bounding_box()
    events = first_row.locator("td.times-seen").bounding_box()
    assert title and events, (title, events)
    assert title["width"] > 280 and events["y"] >= title["y"] + title["height"]
    assert page.console_errors == [] and page.csp_violations == []
    page.context.close()


def test_bulk_actions_need_a_selection_and_select_all_selects_every_row(browser, tracehound_server, team, project):
    issues = [make_issue(project, title=f"ValueError: {n}") for n in range(3)]
    page = logged_in_page(browser, tracehound_server, team, {"width": 1280, "height": 900})
    page.goto(f"{tracehound_server.url}/projects/{project.pk}/issues/")
    resolve = page.locator("#bulk-actions button[value=resolve]")
    assert resolve.is_disabled()
    page.check(f"#issue-{issues[0].pk} input[type=checkbox]")
    assert resolve.is_enabled() and page.locator("#selected-count").inner_text() == "1 issue selected:"
    page.check("#select-all")
    assert page.locator("tr.issue-row input[type=checkbox]:checked").count() == 3
    page.uncheck(f"#issue-{issues[1].pk} input[type=checkbox]")
    assert page.evaluate("document.getElementById('select-all').indeterminate") is True
    page.click("#select-all")  # from "some", a click selects all
    assert page.locator("tr.issue-row input[type=checkbox]:checked").count() == 3
    page.click("#select-all")
    assert page.locator("tr.issue-row input[type=checkbox]:checked").count() == 0 and resolve.is_disabled()
    # Checkboxes say which issue they select.
    label = page.locator(f"#issue-{issues[2].pk} input[type=checkbox]").get_attribute("aria-label")
    assert label.endswith("ValueError: 2")
    page.check("#select-all")
    resolve.click()
    page.locator("#no-issues").wait_for()
    assert "3 issues resolved." in page.locator(".messages").inner_text()
    assert page.console_errors == [] and page.csp_violations == []
    page.context.close()


def test_a_push_for_a_row_the_page_does_not_show_is_no_error(
    browser, tracehound_server, team, project, project_key, tmp_path
):
    make_issue(project, title="KeyError: 'sku'", times_seen=50)
    page = logged_in_page(browser, tracehound_server, team, {"width": 1280, "height": 900})
    # Sorted by events, a new issue is not moved to the top: the push updates rows in place, and this one is not
    # on the page.
    page.goto(f"{tracehound_server.url}/projects/{project.pk}/issues/?sort=times_seen")
    page.wait_for_selector("body[data-live=open]", timeout=5000)
    send_with_sentry_sdk(tmp_path, tracehound_server.dsn(project_key))
    page.locator("#issue-count", has_text="2").wait_for(timeout=10_000)
    assert page.locator("tr.issue-row").count() == 1
    assert page.console_errors == [] and page.csp_violations == []
    page.context.close()


def test_an_empty_projects_test_event_arrives_live(browser, tracehound_server, team, project, project_key):
    page = logged_in_page(browser, tracehound_server, team, {"width": 1280, "height": 900})
    page.goto(f"{tracehound_server.url}/projects/{project.pk}/issues/")
    page.wait_for_selector("body[data-live=open]", timeout=5000)
    assert tracehound_server.dsn(project_key) in page.locator("#first-event").inner_text()
    page.evaluate("window.notReloaded = true")
    page.click("#send-test-event")
    page.locator("tr.issue-row", has_text="Tracehound test event").wait_for(timeout=10_000)
    assert page.evaluate("window.notReloaded") is True  # pushed into the open page
    shot(page, "first-event-arrived")
    assert page.console_errors == [] and page.csp_violations == []
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_page_has_a_serious_accessibility_violation(browser, tracehound_server, team, project, scheme, tmp_path):
    """axe-core, the checker behind Lighthouse's accessibility score, on every page a member uses, in both colour
    schemes (WCAG AA contrast among its rules)."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.frontend.factories import make_event

    empty, _ = create_project(team, "Empty")
    issue = make_issue(project, title="ZeroDivisionError: division by zero", level="error")
    make_event(issue)
    make_issue(project, title="A warning", level="warning")
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    axe = Axe()
    failures = []

    def check(name):
        violations = axe.run(page).response["violations"]
        failures.extend(
            f"{name}: {v['id']} ({v['impact']}) at {[node['target'] for node in v['nodes']][:3]}"
            for v in violations
            if v["impact"] in ("serious", "critical")
        )

    page.goto(f"{tracehound_server.url}/accounts/login/")
    check("login")
    user = make_user(team, "ada")
    log_in(page, tracehound_server.url, user.username)
    for name, path in [
        ("home", "/"),
        ("all issues", "/issues/"),
        ("project issues", f"/projects/{project.pk}/issues/"),
        ("empty project", f"/projects/{empty.pk}/issues/"),
        ("issue", f"/issues/{issue.pk}/"),
        ("settings", f"/projects/{project.pk}/settings/"),
        ("alerts", f"/projects/{project.pk}/alerts/"),
        ("new rule", f"/projects/{project.pk}/alerts/rules/new/"),
        ("new channel", f"/projects/{project.pk}/alerts/channels/new/"),
        ("account", "/account/"),
    ]:
        page.goto(f"{tracehound_server.url}{path}")
        check(name)
    context.close()
    assert failures == []


def test_breadcrumb_times_are_the_viewers_with_utc_on_hover(browser, tracehound_server, team, project):
    from tests.frontend.factories import event_data, make_event

    data = event_data()
    data["breadcrumbs"] = {
        "values": [
            {"timestamp": "2026-12-01T12:00:05.250000Z", "category": "auth", "level": "info", "message": "logged in"}
        ]
    }
    issue = make_issue(project)
    make_event(issue, data=data)
    context = browser.new_context(timezone_id="America/New_York", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{tracehound_server.url}/accounts/login/")
    log_in(page, tracehound_server.url, make_user(team, "ada").username)
    page.goto(f"{tracehound_server.url}/issues/{issue.pk}/")
    shown = page.locator("#breadcrumbs time").first
    assert shown.inner_text() == "07:00:05.250"  # New York in December: UTC-5
    assert shown.get_attribute("title") == "2026-12-01 12:00:05.250 UTC"
    context.close()
