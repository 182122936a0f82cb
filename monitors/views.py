"""Check-ins over plain HTTP, authenticated by the project's DSN key in the URL, so that a crontab line with curl
is enough:

- Sentry's check-in URL: GET or POST /api/<project>/cron/<slug>/<key>/?status=in_progress|ok|error (also
  `check_in_id`, `environment`); a POST may carry the same as JSON, with a `monitor_config` that creates or
  updates the monitor, as Sentry's does.
- Heartbeats (healthchecks.io's convention): /api/<project>/heartbeat/<slug>/<key>/ (ok), .../start/ and .../fail/;
  a POST's body, the job's output, is kept with the check-in (its first 10 KB).

Refusals are JSON {"detail": reason} with 400 (malformed), 401 (malformed key), 403 (unknown key), 404 (unknown
monitor), 405 or 429 (over the per-monitor limit).
"""

import re

import orjson
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from monitors.checkins import (
    MAX_BODY_BYTES,
    CheckInReport,
    body_text,
    checked_check_in_id,
    checked_duration,
    checked_status,
    checked_text,
    find_monitor,
    record_check_in,
    upsert_monitor,
)
from monitors.errors import CheckInRefused
from monitors.models import CheckIn
from projects.keys import project_for_key

PUBLIC_KEY = re.compile(r"[0-9a-fA-F]{32}")
# A monitor_config and a few fields: far less than this.
MAX_JSON_BYTES = 16 * 1024
HEARTBEAT_STATUSES = {"": CheckIn.Status.OK, "start": CheckIn.Status.IN_PROGRESS, "fail": CheckIn.Status.ERROR}


class KeyRefused(CheckInRefused):
    status = 403


class MalformedKey(CheckInRefused):
    status = 401


def _authorise(project_id: int, key: str) -> None:
    if not PUBLIC_KEY.fullmatch(key):
        raise MalformedKey("malformed key: the DSN's public key is 32 hexadecimal digits")
    if project_for_key(project_id, key.lower()) is None:
        raise KeyRefused("unknown or revoked key, or a key of another project")


def _refusal(refusal: CheckInRefused) -> JsonResponse:
    response = JsonResponse({"detail": refusal.detail}, status=refusal.status)
    if refusal.status == 429:
        response["Retry-After"] = "60"
    return response


def _json_body(request) -> dict:
    raw = request.read(MAX_JSON_BYTES + 1)
    if len(raw) > MAX_JSON_BYTES:
        raise CheckInRefused(f"body larger than {MAX_JSON_BYTES} bytes")
    if not raw.strip():
        return {}
    # curl sends `--data` as a form unless told otherwise: JSON is recognised by its content type or its look.
    if request.content_type != "application/json" and not raw.lstrip().startswith((b"{", b"[")):
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise CheckInRefused("body is not valid JSON") from None
    if not isinstance(body, dict):
        raise CheckInRefused("body is not a JSON object")
    return body


@csrf_exempt
@require_http_methods(["GET", "POST"])
def sentry_check_in(request, project_id: str, slug: str, key: str):
    project_id = int(project_id)
    try:
        _authorise(project_id, key)
        body = _json_body(request) if request.method == "POST" else {}
        fields = {**request.GET.dict(), **body}
        report = CheckInReport(
            status=checked_status(fields.get("status")),
            source=CheckIn.Source.HTTP,
            check_in_id=checked_check_in_id(fields.get("check_in_id")),
            duration=checked_duration(body.get("duration")),
            environment=checked_text(fields.get("environment"), "environment"),
            release=checked_text(fields.get("release"), "release", 250),
        )
        config = body.get("monitor_config")
        monitor = upsert_monitor(project_id, slug, config) if config else find_monitor(project_id, slug)
        check_in = record_check_in(monitor, report)
    except CheckInRefused as refusal:
        return _refusal(refusal)
    if check_in is None:
        return JsonResponse({"detail": "the monitor watches another environment; check-in ignored"}, status=202)
    return JsonResponse({"id": check_in.check_in_id.hex}, status=202)


@csrf_exempt
@require_http_methods(["GET", "POST", "HEAD"])
def heartbeat(request, project_id: str, slug: str, key: str, signal: str = ""):
    project_id = int(project_id)
    try:
        _authorise(project_id, key)
        monitor = find_monitor(project_id, slug)
        output = body_text(request.read(MAX_BODY_BYTES)) if request.method == "POST" else ""
        report = CheckInReport(status=HEARTBEAT_STATUSES[signal], source=CheckIn.Source.HEARTBEAT, body=output)
        check_in = record_check_in(monitor, report)
    except CheckInRefused as refusal:
        return _refusal(refusal)
    return JsonResponse({"id": check_in.check_in_id.hex if check_in else None}, status=200)
