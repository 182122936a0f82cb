from django.urls import re_path

from monitors import views

# The trailing slash is optional: a crontab line's curl should not depend on it (and a POST cannot be redirected).
PREFIX = r"^api/(?P<project_id>[0-9]{1,18})/"
TAIL = r"(?P<slug>[^/]+)/(?P<key>[^/]+)"

urlpatterns = [
    re_path(PREFIX + r"cron/" + TAIL + r"/?$", views.sentry_check_in, name="monitor-check-in"),
    re_path(PREFIX + r"heartbeat/" + TAIL + r"/?$", views.heartbeat, name="monitor-heartbeat"),
    re_path(
        PREFIX + r"heartbeat/" + TAIL + r"/(?P<signal>start|fail)/?$", views.heartbeat, name="monitor-heartbeat-signal"
    ),
]
