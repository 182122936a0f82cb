"""Bounding (and optionally scrubbing) the free-form parts of an event: extra, contexts, locals, request data.

Like Relay, a bag keeps its first MAX_ITEMS entries per container, MAX_DEPTH levels of nesting and about
MAX_BAG_CHARS characters in all; each string is cut at MAX_STRING characters. What was cut is reported once per
bag as a note, so the UI can say the event shown is not the whole event.
"""

from issues.scrub import FILTERED, is_secret_key, scrub_text

MAX_DEPTH = 5
MAX_ITEMS = 100
MAX_STRING = 1024
MAX_BAG_CHARS = 64_000
MAX_KEY = 200
# JSON numbers beyond 64 bits cannot be stored by orjson; they are kept as their decimal text.
_INT_LIMIT = 2**63 - 1

TRIMMED = "[trimmed]"


class Notes:
    """The `_meta.notes` of one event: where something was cut, filtered or corrected, and how."""

    def __init__(self):
        self.items: list[dict] = []

    def add(self, path: str, note: str) -> None:
        self.items.append({"path": path, "note": note})


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean_bag(value, *, path: str, notes: Notes, scrub: bool, max_chars: int = MAX_BAG_CHARS):
    """A bounded copy of the JSON value `value`; with `scrub`, secret-looking keys and values are filtered."""
    budget = [max_chars]
    reasons: set[str] = set()

    def walk(item, depth):
        if item is None or item is True or item is False or isinstance(item, float):
            budget[0] -= 5
            return item
        if isinstance(item, int):
            budget[0] -= 10
            return item if -_INT_LIMIT <= item <= _INT_LIMIT else str(item)
        if isinstance(item, str):
            if len(item) > MAX_STRING:
                item = cut(item, MAX_STRING)
                reasons.add(f"strings cut at {MAX_STRING} characters")
            if scrub:
                item = scrub_text(item)
            budget[0] -= len(item) + 2
            return item
        if isinstance(item, dict | list | tuple):
            if depth >= MAX_DEPTH:
                reasons.add(f"nesting deeper than {MAX_DEPTH} levels removed")
                return TRIMMED
            if isinstance(item, dict):
                out = {}
                for index, (key, child) in enumerate(item.items()):
                    if index >= MAX_ITEMS:
                        reasons.add(f"kept the first {MAX_ITEMS} entries")
                        break
                    if budget[0] <= 0:
                        reasons.add(f"cut at about {max_chars} characters")
                        break
                    key = cut(key if isinstance(key, str) else str(key), MAX_KEY)
                    budget[0] -= len(key) + 3
                    if scrub and child not in (None, "") and is_secret_key(key):
                        out[key] = FILTERED
                    else:
                        out[key] = walk(child, depth + 1)
                return out
            out_list = []
            for index, child in enumerate(item):
                if index >= MAX_ITEMS:
                    reasons.add(f"kept the first {MAX_ITEMS} entries")
                    break
                if budget[0] <= 0:
                    reasons.add(f"cut at about {max_chars} characters")
                    break
                out_list.append(walk(child, depth + 1))
            return out_list
        return cut(str(item), MAX_STRING)

    result = walk(value, 0)
    if reasons:
        notes.add(path, "; ".join(sorted(reasons)))
    return result
