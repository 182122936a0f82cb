import logging

import pytest
import tracehound
from tracehound import client as client_module
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


@pytest.fixture(autouse=True)
def _isolated_sdk():
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
