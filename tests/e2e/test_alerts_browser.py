"""The alerts pages in Debian's chromium against a real server process: a team admin makes a Slack channel (its URL
pointing at a fake Slack on this machine, which the server is allowed to reach) and a rule that uses it, and the
pages show them. Screenshots go to test-output/."""

import pytest

from notify.models import AlertRule, Channel, Delivery
from tests.e2e.conftest import watch_csp_violations
from tests.e2e.test_browser_ui import send_with_sentry_sdk, shot
from tests.frontend.factories import PASSWORD, make_user
from tests.notify.conftest import Receiver

from ..waiting import wait_for

pytestmark = pytest.mark.browser


@pytest.fixture
def server_environment():
    """The server (and its worker) may send alerts to the fake Slack on this machine."""
    return {"TRACEHOUND_ALERT_ALLOWED_NETWORKS": "127.0.0.1/32"}


@pytest.fixture
def fake_slack():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def admin_page(browser, tracehound_server, team):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    violations = watch_csp_violations(context)
    page = context.new_page()
    errors, dialogs = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.errors, page.dialogs = errors, dialogs
    make_user(team, "ada")  # an admin of the team that owns the project
    page.goto(f"{tracehound_server.url}/accounts/login/")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{tracehound_server.url}/")
    yield page
    context.close()
    assert violations == []


def test_an_admin_makes_a_slack_channel_and_a_rule_and_an_event_reaches_the_channel(
    admin_page, tracehound_server, project, project_key, fake_slack, tmp_path
):
    page = admin_page
    page.goto(f"{tracehound_server.url}/projects/{project.pk}/issues/")
    page.click("hgroup a:text-is('Alerts')")
    page.wait_for_url(f"{tracehound_server.url}/projects/{project.pk}/alerts/")
    shot(page, "alerts-before")

    # A Slack channel: only the URL field applies, the others are hidden by the page's script.
    page.click("#channels a:text-is('Slack')")
    assert page.locator("#id_kind").input_value() == "slack"
    assert page.locator("#id_url").is_visible() and not page.locator("#id_addresses").is_visible()
    page.fill("#id_name", "#ops-alerts")
    page.fill("#id_url", fake_slack.url("/slack"))
    shot(page, "alerts-channel-form")
    page.click("main button[type=submit]")
    page.get_by_role("heading", name="#ops-alerts", exact=True).wait_for()
    channel = Channel.objects.get(project=project, name="#ops-alerts")
    assert (channel.kind, channel.config) == ("slack", {"url": fake_slack.url("/slack")})
    assert fake_slack.url("/slack") in page.locator("#channel-summary").inner_text()

    # The test button answers on the same page, saying what happened, and the attempt is listed.
    page.click("#test-form button")
    page.wait_for_selector(".messages p")
    assert page.locator(".messages").inner_text().startswith("Test message")
    assert page.locator("#deliveries tbody tr", has_text="Test message").count() == 1
    assert Delivery.objects.filter(channel=channel, kind=Delivery.Kind.TEST).count() == 1
    shot(page, "alerts-channel-tested")

    # A rule that uses it.
    page.click(".crumbs a:text-is('alerts')")
    page.click("#rules a:text-is('New rule')")
    assert not page.locator("#id_threshold").is_visible()  # N and M belong to the frequency triggers
    page.fill("#id_name", "New issues in production")
    page.check("input[name=triggers][value=new_issue]")
    page.check("input[name=triggers][value=regression]")
    page.fill("#id_environments", "production")
    page.select_option("#id_min_level", "error")
    page.check(f"#rule-channels input[value='{channel.pk}']")
    shot(page, "alerts-rule-form")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{tracehound_server.url}/projects/{project.pk}/alerts/")
    rule = AlertRule.objects.get(project=project, name="New issues in production")
    assert rule.triggers == ["new_issue", "regression"] and list(rule.channels.all()) == [channel]
    row = page.locator(f"#rule-{rule.pk}").inner_text()
    assert "New issues in production" in row and "a new issue or a regression" in row
    assert "production" in row and "error or worse" in row and "#ops-alerts" in row and "30 minutes" in row
    channel_row = page.locator(f"#channel-{channel.pk}").inner_text()
    assert "#ops-alerts" in channel_row and "Slack" in channel_row
    shot(page, "alerts-page")

    # An error sent with the real sentry-sdk becomes one message at the fake Slack, and the channel page lists it.
    fake_slack.requests.clear()  # the test message
    send_with_sentry_sdk(tmp_path, tracehound_server.dsn(project_key))
    assert wait_for(lambda: fake_slack.requests, 15), "no alert reached the fake Slack"
    message = fake_slack.requests[0].json()
    assert "New issue" in message["text"] and "ZeroDivisionError" in message["text"]
    assert f"{tracehound_server.url}/issues/" in str(message["blocks"])
    page.goto(f"{tracehound_server.url}/projects/{project.pk}/alerts/channels/{channel.pk}/")
    delivered = page.locator("#deliveries tbody tr", has_text="ZeroDivisionError")
    assert "Sent" in delivered.inner_text()
    shot(page, "alerts-delivered")
    page.go_back()
    assert len(fake_slack.requests) == 1  # one alert, one message

    # A frequency rule shows its N and M fields once a frequency trigger is chosen.
    page.click("#rules a:text-is('New rule')")
    page.check("input[name=triggers][value=event_frequency]")
    assert page.locator("#id_threshold").is_visible()
    page.fill("#id_name", "Floods")
    page.fill("#id_threshold", "100")
    page.fill("#id_window_minutes", "1441")
    page.check(f"#rule-channels input[value='{channel.pk}']")
    page.click("main button[type=submit]")
    assert "1440" in page.locator("#id_window_minutes_error").inner_text()  # a form error, the rule not saved
    page.fill("#id_window_minutes", "5")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{tracehound_server.url}/projects/{project.pk}/alerts/")
    assert "more than 100 events of one issue in 5 minutes" in page.locator("#rules").inner_text()

    # The account page: the project's email alerts switched off and on again.
    page.click("header a[href='/account/']")
    switch = page.locator(f"#alerts-project-{project.pk} input[role=switch]")
    assert switch.is_checked()
    switch.uncheck()
    page.click("#email-alerts button[type=submit]")
    page.wait_for_selector(".messages p")
    assert not page.locator(f"#alerts-project-{project.pk} input[role=switch]").is_checked()
    shot(page, "account")
    assert page.errors == [] and page.dialogs == []
