"""Rows as digest stores them (docs/event-format.md), made directly so the UI is tested on its own."""

import itertools
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from issues.models import Event, Grouping, Issue, IssueHourlyCount, IssueTag
from projects.services import add_member

_short_ids = itertools.count(1)
PASSWORD = "s3cret-pass-word"


def make_user(team=None, username=None):
    user = get_user_model().objects.create_user(username or f"user{next(_short_ids)}", password=PASSWORD)
    if team is not None:
        add_member(team, user)
    return user


def event_data(**overrides) -> dict:
    """A complete normalised event: a ZeroDivisionError raised in app code called through a library frame."""
    now = timezone.now().isoformat().replace("+00:00", "Z")
    data = {
        "event_id": uuid.uuid4().hex,
        "timestamp": now,
        "received": now,
        "platform": "python",
        "level": "error",
        "logger": "shop.views",
        "transaction": "/cart/",
        "server_name": "web-1",
        "release": "1.2.0",
        "environment": "production",
        "message": "",
        "logentry": {},
        "exception": {
            "values": [
                {
                    "type": "ZeroDivisionError",
                    "value": "division by zero",
                    "module": "builtins",
                    "mechanism": {"type": "logging", "handled": True},
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "django/core/handlers/base.py",
                                "abs_path": "/venv/django/core/handlers/base.py",
                                "module": "django.core.handlers.base",
                                "function": "_get_response",
                                "lineno": 197,
                                "colno": None,
                                "in_app": False,
                                "context_line": "response = wrapped_callback(request)",
                                "pre_context": ["if response is None:"],
                                "post_context": ["except Exception as e:"],
                                "vars": {"request": "<WSGIRequest: GET '/cart/'>"},
                            },
                            {
                                "filename": "shop/views.py",
                                "abs_path": "/app/shop/views.py",
                                "module": "shop.views",
                                "function": "cart_total",
                                "lineno": 42,
                                "colno": None,
                                "in_app": True,
                                "context_line": "    return total / count",
                                "pre_context": ["def cart_total(request):", "    total = 10"],
                                "post_context": [""],
                                "vars": {"total": "10", "count": "0"},
                            },
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {
                    "timestamp": now,
                    "type": "default",
                    "category": "query",
                    "level": "info",
                    "message": "SELECT * FROM cart",
                    "data": {},
                },
                {
                    "timestamp": now,
                    "type": "http",
                    "category": "httplib",
                    "level": "warning",
                    "message": "GET https://payments.example/ 503",
                    "data": {"status_code": 503},
                },
            ]
        },
        "request": {
            "method": "GET",
            "url": "https://shop.example/cart/",
            "query_string": "coupon=1",
            "headers": {"User-Agent": "Firefox/130"},
            "cookies": {},
            "data": {"item": "book"},
            "env": {},
        },
        "user": {"id": "7", "email": "ada@example.com", "username": "ada", "ip_address": "10.0.0.1"},
        "tags": [["environment", "production"], ["release", "1.2.0"], ["browser", "Firefox"]],
        "contexts": {"runtime": {"name": "CPython", "version": "3.11.9"}},
        "extra": {"cart_id": 99},
        "fingerprint": [],
        "sdk": {"name": "sentry.python", "version": "2.19.0"},
        "_meta": {"notes": []},
    }
    data.update(overrides)
    return data


def make_issue(project, title="ZeroDivisionError: division by zero", **fields) -> Issue:
    now = timezone.now()
    values = {
        "short_id": next(_short_ids),
        "culprit": "shop.views in cart_total",
        "level": "error",
        "first_seen": now - timedelta(hours=2),
        "last_seen": now,
        "times_seen": 1,
        "users_seen": 1,
        "last_release": "1.2.0",
        "first_release": "1.2.0",
        "metadata": {"type": "ZeroDivisionError", "value": "division by zero"},
    }
    values.update(fields)
    return Issue.objects.create(project=project, title=title, **values)


def make_event(issue, data=None, timestamp=None, **fields) -> Event:
    data = data or event_data()
    return Event.objects.create(
        project_id=issue.project_id,
        issue=issue,
        event_id=uuid.UUID(data["event_id"]) if isinstance(data.get("event_id"), str) else uuid.uuid4(),
        timestamp=timestamp or timezone.now(),
        received_at=fields.pop("received_at", None) or timezone.now(),
        level=fields.pop("level", "error"),
        release=fields.pop("release", "1.2.0"),
        environment=fields.pop("environment", "production"),
        payload=Event.compress(data),
        **fields,
    )


def make_grouping(issue, key_text="exception: ZeroDivisionError / shop.views.cart_total") -> Grouping:
    return Grouping.objects.create(
        project_id=issue.project_id,
        issue=issue,
        grouping_version="2026-11",
        key_hash=uuid.uuid4().hex,
        key_text=key_text,
    )


def add_hourly(issue, hours_ago: int, count: int) -> IssueHourlyCount:
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours_ago)
    return IssueHourlyCount.objects.create(project_id=issue.project_id, issue=issue, hour=hour, count=count)


def add_tag(issue, key: str, value: str, times_seen: int = 1) -> IssueTag:
    now = timezone.now()
    return IssueTag.objects.create(
        issue=issue, key=key, value=value, times_seen=times_seen, first_seen=now, last_seen=now
    )
