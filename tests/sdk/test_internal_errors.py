"""The SDK counts the errors of its own that it swallows, and the SDK's tests fail when one happens.

The tests here provoke such errors on purpose, so they are marked ``sdk_internal_errors`` and check the count
themselves; the last one shows that an unmarked test with an internal error fails."""

import logging
import textwrap

import pytest
import tracehound
from tracehound import internal_errors
from tracehound.transport import Item

pytest_plugins = ["pytester"]


class BrokenItem(Item):
    def build(self):
        raise ValueError("cannot build")


@pytest.mark.sdk_internal_errors
def test_the_handler_counts_what_it_swallows(server, make_logger, monkeypatch, sdk_internal_errors):
    logger, handler = make_logger(server.dsn)

    def broken_capture(record):
        raise KeyError("broken capture")

    monkeypatch.setattr(handler.client, "capture_log_record", broken_capture)
    logger.error("never raises into the caller")
    assert handler.errors == 1
    assert sdk_internal_errors.count == 1
    assert internal_errors.last == "handler.emit: KeyError('broken capture')"


@pytest.mark.sdk_internal_errors
def test_the_transport_counts_what_it_swallows(server, sdk_internal_errors):
    client = tracehound.init(dsn=server.dsn)
    assert client.transport.submit(BrokenItem())
    tracehound.capture_message("the sender keeps going")
    assert client.flush(5)
    assert client.transport.dropped == {"internal_error": 1}
    assert client.transport.last_error == "ValueError('cannot build')"
    assert [e["logentry"]["message"] for e in server.events()] == ["the sender keeps going"]
    assert sdk_internal_errors.count == 1
    assert internal_errors.last == "transport: ValueError('cannot build')"


@pytest.mark.sdk_internal_errors
def test_a_hostile_exception_is_still_counted(sdk_internal_errors):
    class Hostile(Exception):
        def __repr__(self):
            raise RuntimeError("no repr")

    internal_errors.record("somewhere", Hostile())
    assert sdk_internal_errors.count == 1
    assert internal_errors.last == "somewhere: <unrepresentable Hostile>"


# The inner tests run in this process, so the errors they provoke are counted here too: this test is marked
# and expects exactly those two.
@pytest.mark.sdk_internal_errors
def test_an_unmarked_test_with_an_internal_error_fails(pytester, sdk_internal_errors):
    pytester.makeini(
        """
        [pytest]
        markers = sdk_internal_errors: provokes internal errors on purpose
        """
    )
    pytester.makeconftest("from tests.sdk.conftest import _isolated_sdk, sdk_internal_errors  # noqa: F401")
    pytester.makepyfile(
        textwrap.dedent(
            """
            import logging

            import pytest
            import tracehound


            def log_through_a_broken_handler():
                handler = tracehound.Handler(dsn="http://key@127.0.0.1:9/1")
                handler.client.capture_log_record = lambda record: 1 / 0
                logger = logging.getLogger("inner")
                logger.addHandler(handler)
                try:
                    logger.error("swallowed")
                finally:
                    logger.removeHandler(handler)
                    handler.client.close(0)
                return handler


            def test_clean():
                pass


            def test_unmarked():
                log_through_a_broken_handler()


            @pytest.mark.sdk_internal_errors
            def test_marked(sdk_internal_errors):
                assert log_through_a_broken_handler().errors == 1
                assert sdk_internal_errors.count == 1
            """
        )
    )
    result = pytester.runpytest_inprocess("-p", "no:django", "-p", "no:asyncio", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_unmarked*",
            "*tracehound swallowed 1 internal error(s) during this test; the last: "
            "handler.emit: ZeroDivisionError('division by zero')*",
        ]
    )
    assert sdk_internal_errors.count == 2
    assert logging.getLogger("inner").handlers == []
