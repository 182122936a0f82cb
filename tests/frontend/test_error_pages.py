"""Error pages: in the UI's style, telling the visitor what to do and the server's internals nothing."""

import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from tests.frontend.error_urls import SECRET_LOCAL

# What Django's debug pages and default error texts show, and none of these pages may.
LEAKS = [
    "Traceback",
    "Django",
    "Python",
    "settings",
    "SECRET",
    "DEBUG",
    "URLconf",
    "urlpatterns",
    "api/ui/schema",
    "/srv/tracehound",
    "reason for the log only",
    SECRET_LOCAL,
    "ALLOWED_HOSTS",
    "evil.example",
    "Exception",
    "Error:",
]


def assert_error_page(response, status: int, heading: str) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert f"<h1>{heading}</h1>" in html
    assert 'class="error-page"' in html and "/static/frontend/app.css" in html  # the UI's page, not Django's
    for leak in LEAKS + [str(settings.BASE_DIR)]:
        assert leak not in html, leak
    text = re.sub(r"<[^>]*>", " ", html)
    assert not re.search(r"\d+\.\d+", text), text  # no version numbers
    return html


@pytest.mark.django_db
def test_unknown_page_is_a_404_in_the_uis_style_listing_no_url_patterns(client, member_client):
    assert_error_page(client.get("/no/such/page/"), 404, "Not found")
    html = assert_error_page(member_client.get("/admin-ish/../nothing/"), 404, "Not found")
    assert "Log out" in html  # a signed-in visitor keeps the header's navigation


@pytest.mark.django_db
def test_a_foreign_host_header_is_a_plain_400(client):
    html = assert_error_page(client.get("/", HTTP_HOST="evil.example"), 400, "Bad request")
    assert "Log out" not in html


@pytest.mark.django_db
@pytest.mark.urls("tests.frontend.error_urls")
def test_a_suspicious_request_is_a_400(client):
    assert_error_page(client.get("/test-errors/suspicious/"), 400, "Bad request")


@pytest.mark.django_db
@pytest.mark.urls("tests.frontend.error_urls")
def test_permission_denied_is_a_403_without_its_reason(member_client):
    assert_error_page(member_client.get("/test-errors/forbidden/"), 403, "Forbidden")


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_is_a_403_saying_what_to_do():
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "ada", "password": "x"})
    html = assert_error_page(response, 403, "Form not accepted")
    assert "reload the page" in html
    assert "CSRF" not in html and "Referer" not in html and "Origin" not in html


@pytest.mark.django_db
@pytest.mark.urls("tests.frontend.error_urls")
def test_a_failing_view_is_a_500_without_locals_or_the_exception():
    response = Client(raise_request_exception=False).get("/test-errors/failing/")
    assert_error_page(response, 500, "Server error")


def test_the_500_page_needs_neither_the_database_nor_a_request():
    # No django_db mark: any query would fail this test. Django renders 500.html with an empty context.
    html = render_to_string("500.html")
    assert "<h1>Server error</h1>" in html and "/static/frontend/app.css" in html
    assert "Log out" not in html
