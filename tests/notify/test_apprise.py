"""The Apprise transport, through Apprise's own JSON service (json://) to a local server."""

from notify.transports.registry import transport_for
from tests.notify.builders import channel, message, timed

SUBJECT = "[shop-backend] New issue: ZeroDivisionError: division by zero"


def apprise_url(receiver, path: str) -> str:
    return f"json://127.0.0.1:{receiver.port}{path}"


def send(*urls):
    return transport_for("apprise").send(channel("apprise", urls=list(urls)), message())


def test_a_message_goes_out_through_apprise_with_title_and_plain_body(receiver):
    result = send(apprise_url(receiver, "/ok"))
    assert (result.ok, result.detail) == (True, "Apprise reported success")
    (request,) = receiver.requests
    sent = request.json()
    assert sent["title"] == SUBJECT
    assert sent["message"].startswith("New issue in Shop backend\n\nZeroDivisionError: division by zero\n")
    assert "Open SHOP-BACKEND-42: http://localhost:8000/issues/42/" in sent["message"]


def test_a_failure_says_that_apprise_tells_no_more_and_is_retried(receiver):
    result = send(apprise_url(receiver, "/500"))
    assert (result.ok, result.retry) == (False, True)
    assert result.detail.startswith("Apprise reported failure (it tells no more than success or failure")


def test_urls_apprise_cannot_use_are_skipped_and_said(receiver):
    result = send("nonsense://what", apprise_url(receiver, "/ok"))
    assert result.ok and result.detail == "Apprise reported success (1 of its URLs cannot be used)"
    nothing = send("nonsense://what")
    assert (nothing.ok, nothing.retry) == (False, False)
    assert nothing.detail == "no Apprise URL of this channel can be used (edit the channel)"


def test_a_service_that_never_answers_is_left_at_the_total_timeout(receiver, settings):
    settings.TRACEHOUND = {**settings.TRACEHOUND, "ALERT_TOTAL_TIMEOUT_SECONDS": 2}
    result, seconds = timed(send, apprise_url(receiver, "/hang"))
    assert seconds < 4
    assert (result.ok, result.retry) == (False, True)
