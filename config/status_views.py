"""The staff status page (/status/) and its JSON (/api/status/): config/status.py's report, for staff only (it
names hosts, processes and every project).

Both are async views that compute the report in a thread of their own: the health checks wait up to their deadline
when a service hangs, which in a synchronous view would hold the one thread Django runs every synchronous view of
this process on."""

from asgiref.sync import sync_to_async
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.http import JsonResponse
from django.shortcuts import render

from config.status import system_status


def _report_for(request, respond):
    try:
        return respond(request, system_status())
    finally:
        connections.close_all()  # this thread's connections: the thread serves other callers next


def _page(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_staff:
        raise PermissionDenied
    return _report_for(request, lambda request, status: render(request, "config/status.html", {"status": status}))


def _api(request):
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "authentication required"}, status=403)
    if not request.user.is_staff:
        return JsonResponse({"detail": "staff only"}, status=403)
    return _report_for(request, lambda request, status: JsonResponse(status))


async def status_page(request):
    return await sync_to_async(_page, thread_sensitive=False)(request)


async def status_api(request):
    return await sync_to_async(_api, thread_sensitive=False)(request)
