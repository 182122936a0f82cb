import logging
from unittest import mock

from django.db import OperationalError

from projects import outage_log
from projects.outage_log import OutageLog


def test_a_repeating_failure_is_said_once_then_counted_and_its_end_said(caplog):
    log = OutageLog(logging.getLogger("tests.outage"), "ingest: the inbox write")
    clock = mock.patch.object(outage_log.time, "monotonic", return_value=1000.0)
    with caplog.at_level(logging.INFO, logger="tests.outage"), clock as now:
        log.succeeded()  # nothing to say while it works
        for _ in range(500):
            log.failed(OperationalError("connection refused"))
        now.return_value = 1031.0
        log.failed(OperationalError("connection refused"))
        log.failed(OperationalError("connection refused"))
        now.return_value = 1040.0
        log.succeeded()
        log.succeeded()
    assert [record.getMessage() for record in caplog.records] == [
        "ingest: the inbox write failed: OperationalError: connection refused",
        "ingest: the inbox write still failing (500 more times; for 31 s): connection refused",
        "ingest: the inbox write works again after 40 s (502 failures)",
    ]
