"""The core imports no integration: the Django integration registers the extractor that reads the request
Django logs with ``django.request`` records, and without it the core leaves that attribute alone."""

import pytest
from django.test import RequestFactory
from tracehound import client as client_module
from tracehound.contrib.django.middleware import TracehoundMiddleware
from tracehound.contrib.django.request import request_from_record

from .test_process import run_script


@pytest.fixture
def no_extractors(monkeypatch):
    """The core as a process without the Django integration sees it."""
    monkeypatch.setattr(client_module, "_request_extractors", ())


def _log_request_error(make_logger, server, request):
    logger, handler = make_logger(server.dsn)
    logger.error("Internal Server Error: %s", request.path, extra={"request": request, "status_code": 500})
    assert handler.client.flush(5)
    (event,) = server.events()
    return event


def test_the_middleware_registers_the_request_extractor_once(no_extractors):
    TracehoundMiddleware(lambda request: None)
    TracehoundMiddleware(lambda request: None)
    assert client_module._request_extractors == (request_from_record,)


def test_a_records_request_is_read_by_the_registered_extractor(no_extractors, server, make_logger):
    client_module.register_request_extractor(request_from_record)
    request = RequestFactory().get("/basket/?token=abc", HTTP_AUTHORIZATION="Bearer s3cret")
    event = _log_request_error(make_logger, server, request)
    assert event["request"]["url"] == "http://testserver/basket/"
    assert event["request"]["query_string"] == "token=[Filtered]"
    assert event["request"]["headers"]["Authorization"] == "[Filtered]"
    assert event["extra"] == {"status_code": 500}


def test_without_an_extractor_a_records_request_is_left_out(no_extractors, server, make_logger):
    event = _log_request_error(make_logger, server, RequestFactory().get("/basket/"))
    assert "request" not in event
    assert event["extra"] == {"status_code": 500}


def test_an_extractor_that_does_not_recognise_the_value_passes_it_on(no_extractors, server, make_logger):
    client_module.register_request_extractor(lambda value, client: None)
    client_module.register_request_extractor(lambda value, client: {"url": "http://seen" + value.path})
    event = _log_request_error(make_logger, server, RequestFactory().get("/basket/"))
    assert event["request"]["url"] == "http://seen/basket/"


def test_reporting_through_the_core_imports_no_integration_and_no_framework(server):
    proc, _ = run_script(
        f"""
        import logging, sys, tracehound

        class Request:
            META = {{"SERVER_NAME": "shop"}}
            path = "/basket/"

        logger = logging.getLogger("app")
        logger.addHandler(tracehound.Handler(dsn={server.dsn!r}))
        logger.error("Internal Server Error", extra={{"request": Request()}})
        assert tracehound.flush(5)
        loaded = sorted(m for m in sys.modules if m.startswith(("tracehound.contrib", "django", "celery")))
        assert not loaded, loaded
        """
    )
    assert proc.returncode == 0, proc.stderr
    (event,) = server.events()
    assert "request" not in event
