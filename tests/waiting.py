"""Waiting for something another process or thread does, without a fixed sleep."""

import time


def wait_for(condition, seconds: float):
    """Poll `condition` until it returns a truthy value or `seconds` pass; return its last value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()
