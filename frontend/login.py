"""The login forms of both login pages (ours and the admin's), limited by frontend/login_limits.py.

Over a limit the form is shown again, answered with 429 and Retry-After, with a message that says how long to
wait; the password is not checked.
"""

from functools import wraps

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from frontend import login_limits


class LimitedLoginMixin:
    """For AuthenticationForm subclasses: count the attempt before authenticating, take it back if it succeeds."""

    refused_for = 0  # seconds to wait, when this attempt was refused

    def clean(self):
        username = self.cleaned_data.get("username")
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # a missing field is the fields' error; no password was tried
        self.refused_for = login_limits.begin_attempt(self.request, username)
        if self.refused_for:
            raise ValidationError(
                "Too many failed logins for this user name or from your address. Try again in %(wait)s.",
                code="login_limited",
                params={"wait": login_limits.describe_wait(self.refused_for)},
            )
        cleaned_data = super().clean()  # a wrong password raises here, and stays counted
        login_limits.attempt_succeeded(self.request, username)
        return cleaned_data


class LoginForm(LimitedLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(LimitedLoginMixin, AdminAuthenticationForm):
    pass


def refusals_as_429(view):
    """Answer a login page whose form refused the attempt with 429 and Retry-After (the page itself unchanged)."""

    @wraps(view)
    def login_page(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        form = (getattr(response, "context_data", None) or {}).get("form")
        wait = getattr(form, "refused_for", 0)
        if wait:
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response

    return login_page


login = refusals_as_429(auth_views.LoginView.as_view(authentication_form=LoginForm))
