"""The webhook transport against a local receiver: the documented body, and a signature the documented code
verifies."""

import json
import re
from pathlib import Path

from notify.transports import webhook
from notify.transports.registry import transport_for
from tests.notify.builders import BASE, HOSTILE, channel, issue_summary, message, summary

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def documented_verify():
    """The `verify` function of docs/webhooks.md's first Python example, run as written there."""
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL).group(1)
    namespace = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace["verify"]


def send(receiver, msg, path="/ok"):
    hook = channel("webhook", url=receiver.url(path))
    return hook, transport_for("webhook").send(hook, msg)


def test_the_body_is_signed_and_the_documented_code_verifies_it(receiver):
    msg = message()
    hook, result = send(receiver, msg)
    assert result.ok and result.detail == "200 OK"
    (request,) = receiver.requests
    verify = documented_verify()
    signature = request.headers["X-Tracehound-Signature"]
    assert signature.startswith("sha256=")
    assert verify(request.body, signature, hook.signing_secret) is True
    assert verify(request.body, signature, "another secret") is False
    assert verify(request.body + b" ", signature, hook.signing_secret) is False
    assert verify(request.body, "", hook.signing_secret) is False
    assert request.headers["X-Tracehound-Delivery"] == msg.delivery_id
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("Tracehound")


def test_the_body_has_the_documented_fields(receiver):
    msg = message()
    send(receiver, msg)
    body = receiver.requests[0].json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body.pop("sent_at"))
    assert body == {
        "version": 1,
        "kind": "alert",
        "delivery_id": msg.delivery_id,
        "project": {"name": "Shop backend", "slug": "shop-backend"},
        "headline": "New issue",
        "url": f"{BASE}/issues/42/",
        "issue": {
            "id": 42,
            "short_id": "SHOP-BACKEND-42",
            "title": "ZeroDivisionError: division by zero",
            "culprit": "shop.views.checkout",
            "level": "error",
            "environment": "production",
            "release": "shop@1.2.3",
            "times_seen": 1234,
            "users_seen": 56,
            "url": f"{BASE}/issues/42/",
        },
        "issues": [],
        "total": 0,
    }
    documented = re.search(r"```json\n(.*?)```", DOC.read_text(), re.DOTALL).group(1)
    assert set(json.loads(documented)) == set(body) | {"sent_at"}
    assert set(json.loads(documented)["issue"]) == set(body["issue"])


def test_a_summary_lists_its_issues_and_total(receiver):
    send(receiver, summary(3, total=40))
    body = receiver.requests[0].json()
    assert (body["kind"], body["issue"], body["total"]) == ("summary", None, 40)
    assert body["url"] == f"{BASE}/projects/shop-backend/issues/"
    assert [issue["short_id"] for issue in body["issues"]] == ["SHOP-1", "SHOP-2", "SHOP-3"]


def test_event_text_arrives_as_written_and_signed(receiver):
    hook, result = send(receiver, message(issue=issue_summary(title=HOSTILE + " \u00e9\u00e8 \U0001f525")))
    assert result.ok
    request = receiver.requests[0]
    assert request.json()["issue"]["title"] == HOSTILE + " \u00e9\u00e8 \U0001f525"
    assert documented_verify()(request.body, request.headers["X-Tracehound-Signature"], hook.signing_secret)


def test_a_retry_carries_the_same_delivery_id(receiver):
    msg = message()
    send(receiver, msg, path="/500")
    send(receiver, msg)
    first, second = receiver.requests
    assert first.headers["X-Tracehound-Delivery"] == second.headers["X-Tracehound-Delivery"] == msg.delivery_id
    assert first.json()["delivery_id"] == second.json()["delivery_id"]


def test_the_signature_is_of_the_exact_bytes_with_the_channel_secret():
    hook = channel("webhook", url="https://hooks.example.com/x")
    body, headers = webhook.build_request(hook, message())
    assert headers["X-Tracehound-Signature"] == webhook.sign(body, "s3cret-for-tests")
    assert documented_verify()(body, headers["X-Tracehound-Signature"], "s3cret-for-tests")


def test_answers_map_to_what_the_sender_does(receiver):
    _, missing = send(receiver, message(), path="/slack-404")
    assert (missing.ok, missing.retry) == (False, False)
    assert missing.detail == "404 from 127.0.0.1: no_service (is the URL right?)"
    _, down = send(receiver, message(), path="/500")
    assert (down.ok, down.retry) == (False, True)
    _, limited = send(receiver, message(), path="/429")
    assert (limited.retry, limited.retry_after) == (True, 7.0)
    _, moved = send(receiver, message(), path="/redirect")
    assert (moved.ok, moved.retry) == (False, False) and "redirects to" in moved.detail
    assert [request.path for request in receiver.requests][-1] == "/redirect"
