"""Celery: failed tasks are reported with their context; heartbeat sends cron check-ins.

A real Celery app runs the tasks eagerly (task_always_eager), which goes through Celery's tracer and
signals like a worker does."""

import logging
import time

import pytest
import tracehound
from celery import Celery
from tracehound.contrib import celery as th_celery
from tracehound.contrib.celery import heartbeat


@pytest.fixture
def app():
    app = Celery("sdk-tests", broker="memory://", backend="cache+memory://")
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = False
    th_celery.setup()
    return app


def test_failed_task_is_reported_with_name_args_and_retries(server, app):
    tracehound.init(dsn=server.dsn)

    @app.task(name="shop.charge", bind=True, max_retries=2)
    def charge(self, order_id, card_token="tok_1", amount=10):
        if self.request.retries < 2:
            raise self.retry(exc=ConnectionError("gateway busy"), countdown=0)
        raise ValueError(f"card declined for order {order_id}")

    result = charge.apply(args=(17,), kwargs={"card_token": "tok_secret", "amount": 30})
    assert result.failed()
    assert tracehound.flush(5)
    events = server.events()
    assert len(events) == 1, [e["exception"]["values"][-1]["value"] for e in events]
    event = events[0]
    value = event["exception"]["values"][-1]
    assert value["type"] == "ValueError"
    assert value["mechanism"] == {"type": "celery", "handled": False}
    assert value["stacktrace"]["frames"][-1]["function"] == "charge"
    assert event["tags"]["celery_task_name"] == "shop.charge"
    celery_context = event["contexts"]["celery"]
    assert celery_context["task_name"] == "shop.charge"
    assert celery_context["args"] == [17]
    assert celery_context["kwargs"] == {"card_token": "[Filtered]", "amount": 30}
    assert celery_context["retries"] == 2


def test_task_scope_does_not_leak_into_later_events(server, app):
    tracehound.init(dsn=server.dsn)

    @app.task(name="shop.tagged")
    def tagged():
        tracehound.set_tag("inside", "task")
        raise KeyError("k")

    tagged.apply()
    tracehound.capture_message("after the task")
    assert tracehound.flush(5)
    first, second = server.events()
    assert first["tags"]["inside"] == "task"
    assert "inside" not in second.get("tags", {})


def test_celery_failure_log_is_not_a_second_event(server, app):
    logger = logging.getLogger("celery.app.trace")
    handler = tracehound.Handler(dsn=server.dsn)
    logger.addHandler(handler)
    try:

        @app.task(name="shop.boom")
        def boom():
            raise RuntimeError("boom")

        boom.apply()
        assert tracehound.flush(5)
        (event,) = server.events()
        assert event["exception"]["values"][-1]["mechanism"]["type"] == "celery"
    finally:
        logger.removeHandler(handler)


def test_heartbeat_sends_in_progress_then_ok_with_duration(server, app):
    tracehound.init(dsn=server.dsn, release="r1", environment="prod")

    @app.task(name="shop.nightly")
    @heartbeat("nightly-report")
    def nightly():
        time.sleep(0.05)
        return "done"

    assert nightly.apply().get() == "done"
    assert tracehound.flush(5)
    items = server.items
    assert [h["type"] for h, _ in items] == ["check_in", "check_in"]
    started, finished = (payload for _, payload in items)
    assert started["status"] == "in_progress" and started["monitor_slug"] == "nightly-report"
    assert finished["status"] == "ok"
    assert finished["check_in_id"] == started["check_in_id"]
    assert 0.05 <= finished["duration"] < 2
    assert (finished["release"], finished["environment"]) == ("r1", "prod")


def test_heartbeat_reports_error_and_reraises(server):
    tracehound.init(dsn=server.dsn)

    @heartbeat("fragile-job", monitor_config={"schedule": {"type": "crontab", "value": "0 * * * *"}})
    def job():
        raise OSError("disk full")

    with pytest.raises(OSError):
        job()
    assert tracehound.flush(5)
    started, finished = (payload for _, payload in server.items)
    assert started["monitor_config"]["schedule"]["value"] == "0 * * * *"
    assert finished["status"] == "error" and finished["check_in_id"] == started["check_in_id"]


def test_failure_in_a_real_worker_thread_with_retries_through_the_broker(server):
    from celery.contrib.testing.worker import start_worker

    tracehound.init(dsn=server.dsn)
    app = Celery("sdk-worker-tests", broker="memory://", backend="cache+memory://")
    app.conf.task_default_retry_delay = 0
    app.conf.broker_transport_options = {"polling_interval": 0.05}
    th_celery.setup()

    @app.task(name="shop.sync_stock", bind=True, max_retries=1)
    def sync_stock(self, sku, api_token="t"):
        if self.request.retries < 1:
            raise self.retry(exc=TimeoutError("warehouse slow"), countdown=0)
        raise LookupError(f"unknown sku {sku}")

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = sync_stock.delay("SKU-9", api_token="secret-token")
        with pytest.raises(LookupError):
            result.get(timeout=10)
    assert tracehound.flush(5)
    (event,) = server.events()
    assert event["exception"]["values"][-1]["type"] == "LookupError"
    context = event["contexts"]["celery"]
    assert context["task_name"] == "shop.sync_stock"
    assert context["args"] == ["SKU-9"]
    assert context["kwargs"] == {"api_token": "[Filtered]"}
    assert context["retries"] == 1
