"""Per-request scope: events captured while a request runs (logged or raised) carry its data.

Each request runs in its own isolation scope, so tags, user and breadcrumbs set during one request
never show on another's events. The request dict is built only when an event is captured. Works in
sync (WSGI) and async (ASGI) stacks.
"""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

import tracehound
from tracehound import internal_errors
from tracehound.client import register_request_extractor
from tracehound.scope import pop_scope, push_scope

from .request import request_data, request_from_record, send_pii


class TracehoundMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        # The app registers this too when it is ready; a project may use the middleware without the app, and
        # errors that django.request logs outside this middleware's scope (from middleware listed before it)
        # must still carry their request.
        register_request_extractor(request_from_record)
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def _enter(self, request):
        token = push_scope()
        pii = send_pii(tracehound.get_client())
        tracehound.current_scope().request = lambda: request_data(request, pii)
        return token

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        token = self._enter(request)
        try:
            return self.get_response(request)
        finally:
            pop_scope(token)

    async def __acall__(self, request):
        token = self._enter(request)
        try:
            return await self.get_response(request)
        finally:
            pop_scope(token)

    def process_exception(self, request, exception):
        """Unhandled view exceptions; ``django.request`` logging the same one later is deduplicated."""
        try:
            tracehound.get_client().capture_exception(exception, handled=False, mechanism="django")
        except Exception as exc:
            internal_errors.record("django middleware", exc)
        return None
