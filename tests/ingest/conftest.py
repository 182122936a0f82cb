import pytest
from django.core.cache import cache

from ingest import outcomes
from ingest.inbox import writer
from ingest.quotas import gate
from tests.e2e.conftest import server_environment, tracehound_server  # noqa: F401  (the live-server fixtures)


@pytest.fixture(autouse=True)
def _fresh_ingest_state():
    # Quota and outcome counts live in this process and in the cache; each test starts from zero.
    gate.reset()
    cache.clear()
    outcomes._counts.clear()
    yield
    gate.reset()
    outcomes._counts.clear()


@pytest.fixture
def committed(transactional_db):
    """For tests whose events reach the inbox writer: its thread has its own connection, so data must be
    committed. The writer is stopped (flushing outcome counts) before the tables are emptied."""
    yield
    writer.stop()
