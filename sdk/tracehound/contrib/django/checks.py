from django.core import checks

from tracehound.dsn import Dsn, InvalidDsn

from .settings import configured_dsns


def check_dsn(app_configs=None, **kwargs):
    """tracehound.E001: a configured DSN does not parse (reporting would be silently disabled).

    Registered by the app when it is ready."""
    errors = []
    for where, value in configured_dsns():
        try:
            Dsn.parse(value)
        except InvalidDsn as exc:
            errors.append(
                checks.Error(
                    "The Tracehound DSN in %s is invalid: %s." % (where, exc),
                    hint="Expected http(s)://<public_key>@<host>[:port]/<project_id>, "
                    "as shown on the project's settings page.",
                    id="tracehound.E001",
                )
            )
    return errors
