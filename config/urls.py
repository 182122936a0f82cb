from django.contrib import admin
from django.urls import include, path

from config.status_views import status_api, status_page
from frontend.login import AdminLoginForm, refusals_as_429

# The admin's login page is limited like ours (frontend/login_limits.py): its form, and its answer when refused.
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("admin/login/", refusals_as_429(admin.site.login)),
    path("admin/", admin.site.urls),
    path("", include("monitors.urls")),
    path("status/", status_page, name="status"),
    path("api/status/", status_api, name="status-api"),
    path("", include("frontend.urls")),
]
