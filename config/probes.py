"""`/-/alive/` and `/-/health/`, for load balancers, container probes and uptime monitors.

A bare ASGI application in front of Django (config/asgi.py), like ingest's: probes come from load balancers and
orchestrators that address the server by its IP, so Django's ALLOWED_HOSTS check would refuse them, and over plain
HTTP inside the network, where SECURE_SSL_REDIRECT would send them a redirect they count as a failure. Answering
here, for exactly these two paths, needs no exemption inside Django: every other path still gets both. Nothing here
reads the Host header or builds a URL from it.

Anonymous callers learn check names and pass or fail only; the details (addresses, versions, paths in errors) are
for `manage.py healthcheck` and the staff status page.
"""

import asyncio

import orjson

from config.health import run_checks

ALIVE_PATHS = ("/-/alive/", "/-/alive")
HEALTH_PATHS = ("/-/health/", "/-/health")


def is_probe_path(path: str) -> bool:
    return path in ALIVE_PATHS or path in HEALTH_PATHS


async def _respond(send, scope, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def health_answer(results: dict[str, dict]) -> tuple[int, dict]:
    failed = [name for name, result in results.items() if not result["ok"]]
    if failed:
        return 503, {"healthy": False, "errors": failed}
    return 200, {"healthy": True, "checks": dict.fromkeys(results, "ok")}


async def application(scope, receive, send) -> None:
    if scope["method"] not in ("GET", "HEAD"):
        await _respond(send, scope, 405, b"method not allowed", b"text/plain")
        return
    if scope["path"] in ALIVE_PATHS:
        # The process answers: nothing else is touched, so a database outage never gets the server restarted.
        await _respond(send, scope, 200, b"ok", b"text/plain")
        return
    # run_checks waits for its threads until the checks' deadline; off the event loop, which keeps serving.
    results = await asyncio.get_running_loop().run_in_executor(None, run_checks)
    status, payload = health_answer(results)
    await _respond(send, scope, status, orjson.dumps(payload), b"application/json")
