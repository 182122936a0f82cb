"""Failed-login limits: per user name and per client address, in fixed windows counted in Django's cache.

Both login pages (ours and the admin's) go through the forms in frontend/login.py, which call `begin_attempt`
before they check a password at all, and `attempt_succeeded` when it was right. Past a limit the password is not
checked, so a right guess during a lockout neither succeeds nor answers differently (in content or in time) from a
wrong one.

The limits (TRACEHOUND["LOGIN_LIMITS"] in settings): at most FAILURES_PER_USERNAME failures for one user name
(case-insensitive; existing or not, so that the answer does not tell which names exist) and FAILURES_PER_ADDRESS
from one client address, in each WINDOW_SECONDS window; a refusal says how long until the window ends. Windows
are aligned on the clock, as ingest's quotas are, so the time to wait needs no stored start time.

Each attempt is counted before its password is checked, and taken back if it succeeds: a successful login
forgets the failures of its own user name, never those of its address, or an attacker with an account of their
own could log into it between guesses at other accounts and guess for ever.

Client address: REMOTE_ADDR, the peer of the connection. Behind a reverse proxy that is the proxy's address: one
count for everyone, so failures from anywhere hold up everyone's logins for the rest of the window. With
TRUST_X_FORWARDED_FOR the last X-Forwarded-For entry is used, the one the proxy appended; never by default, as
any client can send that header. IPv6 addresses count per /64, the smallest block a single customer is usually
given, or one attacker would be 2**64 clients.

Why a small service and not django-axes (the maintained library for this): axes locks out for a cool-off after
each failure (by default for ever, until an administrator resets it) and by default per address only; it records
attempts and logins in database tables of its own, or in the cache with its cache handler, which its own system
check warns against on the in-memory cache of the embedded default (and a warning fails `bin/test`'s check); it
needs its authentication backend, middleware and app with migrations; and a lockout replaces the login page with
an answer of its own instead of a message in the form the user is looking at. What is needed here is two counters
per failure in the cache that every process already shares (Redis in production, memory in the one embedded
process) and a message in each login form: about a hundred lines, with nothing to configure beyond three numbers.

If the cache cannot be reached, logins are not limited (and that is logged): the login page keeps working while
Redis is down, as ingest keeps accepting events.
"""

import contextlib
import hashlib
import ipaddress
import logging
import math
import time
import unicodedata

from django.core.cache import cache

from projects.options import option

log = logging.getLogger(__name__)

# The time source, replaced by tests that move through windows without waiting for them.
clock = time.time


def _limits() -> dict:
    return option("LOGIN_LIMITS")


def client_address(request) -> str:
    """The address failures are counted against: see the module docstring for which one and why."""
    address = request.META.get("REMOTE_ADDR", "")
    if option("TRUST_X_FORWARDED_FOR"):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        address = forwarded or address
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        # Not an IP address (a unix socket's peer, a proxy's odd header): one bucket per distinct value.
        return "other-" + hashlib.sha256(address.encode("utf-8", "replace")).hexdigest()[:32]
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _username_key(username: str) -> str:
    normalized = unicodedata.normalize("NFKC", username).casefold()
    return hashlib.sha256(normalized.encode()).hexdigest()


def _counters(request, username: str) -> tuple[list[tuple[str, int]], float]:
    """The (cache key, limit) pairs that apply to this attempt, and the seconds left in the current window."""
    limits = _limits()
    window = limits["WINDOW_SECONDS"]
    now = clock()
    start = int(now // window)
    suffix = f"{window}:{start}"
    counters = [
        (f"tracehound:login-failures:username:{_username_key(username)}:{suffix}", limits["FAILURES_PER_USERNAME"]),
        (f"tracehound:login-failures:address:{client_address(request)}:{suffix}", limits["FAILURES_PER_ADDRESS"]),
    ]
    return counters, (start + 1) * window - now


def begin_attempt(request, username: str) -> int:
    """Count this attempt as a failure before its password is checked; 0 if it may go on, else the seconds to wait.

    Counting first means guesses sent in parallel cannot all pass the check while the first ones are still being
    hashed: the eleventh is refused however many arrive at once. A refused attempt is not counted; one that
    succeeds is taken back by `attempt_succeeded`.
    """
    counters, left = _counters(request, username)
    timeout = math.ceil(left) + 1
    counted = []
    try:
        over = False
        for key, limit in counters:
            cache.add(key, 0, timeout=timeout)
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr: this attempt starts it again
                cache.set(key, 1, timeout=timeout)
                count = 1
            counted.append(key)
            over = over or count > limit
        if over:
            _take_back(counted)
            return max(1, math.ceil(left))
    except Exception:
        log.exception("login limits: the cache cannot be reached; this login is not limited")
    return 0


def attempt_succeeded(request, username: str) -> None:
    """The attempt was no failure: take it back from its address's count (whose earlier failures stay), and forget
    the failures of its user name (someone who knows its password made them)."""
    (username_key, _), (address_key, _) = _counters(request, username)[0]
    try:
        cache.delete(username_key)
        _take_back([address_key])
    except Exception:
        log.exception("login limits: the cache cannot be reached")


def _take_back(keys: list[str]) -> None:
    for key in keys:
        with contextlib.suppress(ValueError):  # raised when its window ended meanwhile
            cache.decr(key)


def describe_wait(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"
