"""Tracehound is an ASGI application: its ingest endpoints and live websockets exist only in config/asgi.py. A WSGI
server started here by habit (`gunicorn config.wsgi`) would serve pages without either, so it is refused."""

raise SystemExit(
    "tracehound: config.wsgi is not an entry point; serve config.asgi:application with an ASGI server "
    "(uvicorn, as in compose.yaml and the README)"
)
