import logging

import pytest
import tracehound
from tracehound import client as client_module
from tracehound import internal_errors
from tracehound import scope as scope_module

from .fakeserver import BlackHole, FakeServer


@pytest.fixture
def server():
    fake = FakeServer()
    yield fake
    fake.close()


@pytest.fixture
def black_hole():
    hole = BlackHole()
    yield hole
    hole.close()


def _reset_scope():
    g = scope_module.global_scope
    g.tags.clear()
    g.contexts.clear()
    g.extra.clear()
    g.user = None
    g.breadcrumbs.clear()
    g.request = None


class InternalErrorsSince:
    """The SDK's internal errors (``tracehound.internal_errors``) recorded since a test started."""

    def __init__(self):
        self.start = internal_errors.count

    @property
    def count(self) -> int:
        return internal_errors.count - self.start


@pytest.fixture(autouse=True)
def sdk_internal_errors(request):
    """Fail the test if the SDK swallowed an error of its own while it ran: in the handler's emit, on the
    sender thread, in a request extractor or an integration's hook. Reporting hides those from the host on
    purpose, so without this a broken SDK passes every test that only looks at what reached the server.

    A test that provokes internal errors on purpose is marked ``@pytest.mark.sdk_internal_errors`` and
    asserts the count itself, from this fixture's value (the errors recorded since the test started).
    The check runs after ``_isolated_sdk`` has closed the process-wide client, so errors met while flushing
    what the test queued count too."""
    since = InternalErrorsSince()
    yield since
    if since.count and request.node.get_closest_marker("sdk_internal_errors") is None:
        pytest.fail(
            f"tracehound swallowed {since.count} internal error(s) during this test; the last: {internal_errors.last}",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _isolated_sdk(sdk_internal_errors):
    """Every test starts with no process-wide client and an empty global scope."""
    _reset_scope()
    client_module._process_client = None
    yield
    client = client_module._process_client
    if client is not None:
        client.close(0.5)
    client_module._process_client = None
    _reset_scope()


@pytest.fixture
def make_logger(request):
    """A logger wired to a tracehound.Handler, detached again after the test."""
    created = []

    def make(dsn, name=None, **options):
        handler = tracehound.Handler(dsn=dsn, **options)
        logger = logging.getLogger(name or f"app.{request.node.name}.{len(created)}")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        logger.addHandler(handler)
        created.append((logger, handler))
        return logger, handler

    yield make
    for logger, handler in created:
        logger.removeHandler(handler)
        if handler.client is not client_module._process_client:
            handler.client.close(0.5)
