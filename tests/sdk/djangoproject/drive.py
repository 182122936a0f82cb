"""Run requests through the test project with Django's test client (run as a subprocess by the tests)."""

import os
import sys

import django


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.sdk.djangoproject.settings")
    django.setup()
    import tracehound
    from asgiref.sync import async_to_sync
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import AsyncClient, Client
    from tracehound import internal_errors

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("ada", "ada@example.org", "correct horse")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    async_client = AsyncClient(raise_request_exception=False)
    async_client.force_login(user)
    for url in sys.argv[1:]:
        if url.startswith("async:"):  # through the ASGI handler, as under daphne
            url = url[len("async:") :]
            response = async_to_sync(async_client.get)(url, headers={"authorization": "Bearer s3cret"})
        else:
            response = client.get(url, HTTP_AUTHORIZATION="Bearer s3cret", HTTP_X_REQUEST_ID="req-1")
        print(url, response.status_code)
    assert tracehound.flush(5)
    transport = tracehound.get_client().transport
    print(f"tracehound sent={transport.sent} dropped={transport.dropped} last_status={transport.last_status}")
    # What sdk_internal_errors checks in the tests' own process, checked here in the project's.
    assert internal_errors.count == 0, f"tracehound swallowed {internal_errors.count} error(s): {internal_errors.last}"


if __name__ == "__main__":
    main()
