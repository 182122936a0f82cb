"""A digest worker for tests whose process dies (SIGKILL, as the out-of-memory killer does) when it reaches one
chosen event: `python -m tests.issues.poison_worker EVENT_ID BATCH_SIZE`.

It is `manage.py digest --until-empty` with the poison planted here, in the test's own entry point, so production
code carries no test hook: the chosen event kills the worker while it is being normalised, in the middle of its
batch's transaction.
"""

import os
import signal
import sys

import django


def main() -> None:
    poison_event_id, batch_size = sys.argv[1], sys.argv[2]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    from issues import digest

    prepare = digest.prepare

    def prepare_or_die(inbox_id, project_id, event_id, *args, **kwargs):
        if event_id.hex == poison_event_id:
            os.kill(os.getpid(), signal.SIGKILL)
        return prepare(inbox_id, project_id, event_id, *args, **kwargs)

    digest.prepare = prepare_or_die
    call_command("digest", "--until-empty", "--batch-size", batch_size)


if __name__ == "__main__":
    main()
