import pytest
from django.core.cache import cache

from monitors.models import Monitor


@pytest.fixture(autouse=True)
def _fresh_check_in_counts():
    # Per-monitor check-in counts live in the cache, keyed by monitor id, which a rolled-back test may hand on.
    cache.clear()


@pytest.fixture
def monitor(project):
    return Monitor.objects.create(project=project, name="Nightly backup", slug="nightly-backup", crontab="0 3 * * *")
