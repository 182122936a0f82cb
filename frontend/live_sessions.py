"""Live sockets end with the session that opened them.

A socket is authenticated once, when it opens. Logging out ends its session: the logout tells the session's sockets
to close at once (through the channel layer, so a socket held by another web process closes too), and every push
checks the session again first, which also covers what sends no signal: a session that expired, was deleted, or
whose user changed password or was deactivated.
"""

import hashlib
import logging
from importlib import import_module
from types import SimpleNamespace

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

logger = logging.getLogger(__name__)

# An application close code (4000-4999): htmx's websocket extension reconnects only after abnormal closes
# (1006, 1012, 1013, 1015), so a page whose session ended stops trying.
SESSION_ENDED = 4001


def session_group(session_key: str) -> str:
    """The channel group of a session's sockets; named by a digest, so channel layer keys never hold a session key."""
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def session_is_current(session_key: str | None, user_id: int) -> bool:
    """Whether session `session_key` still signs in user `user_id`, by the checks Django makes on every HTTP
    request (`get_user`: the session exists and is unexpired, the account is active, the password unchanged)."""
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(SimpleNamespace(session=store))
    return user.is_authenticated and user.pk == user_id


@receiver(user_logged_out)
def close_sockets_of_ended_session(sender, request, **kwargs):
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if not session_key:
        return
    try:
        async_to_sync(get_channel_layer().group_send)(session_group(session_key), {"type": "session.ended"})
    except Exception:
        # The sockets still stop at their next push, which checks the session first.
        logger.warning("could not tell the live sockets of a session that it ended", exc_info=True)
