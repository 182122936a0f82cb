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
    if not value and type(value) in (dict, list):
        return type(value)()  # the common empty bag, without a walk
    walk = _Walk(scrub, max_chars)
    result = walk.value(value, 0)
    if walk.reasons:
        notes.add(path, "; ".join(sorted(walk.reasons)))
    return result


def clean_bags(values: list, *, path: str, notes: Notes, scrub: bool, max_chars: int = MAX_BAG_CHARS) -> list:
    """clean_bag for each of `values`, sharing one size budget and one note."""
    walk = _Walk(scrub, max_chars)
    result = [walk.value(value, 0) if value else value for value in values]
    if walk.reasons:
        notes.add(path, "; ".join(sorted(walk.reasons)))
    return result


class _Walk:
    """One bag's walk. Dispatches on exact types (JSON only has these), which is measurably faster than
    isinstance chains on the tens of thousands of values a batch holds."""

    __slots__ = ("scrub", "budget", "max_chars", "reasons")

    def __init__(self, scrub: bool, max_chars: int):
        self.scrub = scrub
        self.budget = max_chars
        self.max_chars = max_chars
        self.reasons: set[str] = set()

    def value(self, item, depth: int):
        kind = type(item)
        if kind is str:
            if len(item) > MAX_STRING:
                item = cut(item, MAX_STRING)
                self.reasons.add(f"strings cut at {MAX_STRING} characters")
            # Shorter than 13 and no "bearer": scrub_text would find nothing (same pre-check, without the call).
            if self.scrub and (len(item) >= 13 or "earer" in item or "EARER" in item):
                item = scrub_text(item)
            self.budget -= len(item) + 2
            return item
        if kind is dict or kind is list or kind is tuple:
            if depth >= MAX_DEPTH:
                self.reasons.add(f"nesting deeper than {MAX_DEPTH} levels removed")
                return TRIMMED
            return self.mapping(item, depth) if kind is dict else self.sequence(item, depth)
        if kind is int:
            self.budget -= 10
            return item if -_INT_LIMIT <= item <= _INT_LIMIT else str(item)
        if item is None or kind is bool or kind is float:
            self.budget -= 5
            return item
        return self.value(str(item), depth)

    def mapping(self, item: dict, depth: int) -> dict:
        out = {}
        scrub = self.scrub
        for index, (key, child) in enumerate(item.items()):
            if index >= MAX_ITEMS:
                self.reasons.add(f"kept the first {MAX_ITEMS} entries")
                break
            if self.budget <= 0:
                self.reasons.add(f"cut at about {self.max_chars} characters")
                break
            if type(key) is not str:
                key = str(key)
            if len(key) > MAX_KEY:
                key = cut(key, MAX_KEY)
            self.budget -= len(key) + 3
            if scrub and child is not None and child != "" and is_secret_key(key):
                out[key] = FILTERED
            elif type(child) is str and len(child) < 13 and "earer" not in child and "EARER" not in child:
                # The most common leaf (a short repr or word), inlined: no card, no token, nothing to cut.
                self.budget -= len(child) + 2
                out[key] = child
            else:
                out[key] = self.value(child, depth + 1)
        return out

    def sequence(self, item, depth: int) -> list:
        out = []
        for index, child in enumerate(item):
            if index >= MAX_ITEMS:
                self.reasons.add(f"kept the first {MAX_ITEMS} entries")
                break
            if self.budget <= 0:
                self.reasons.add(f"cut at about {self.max_chars} characters")
                break
            out.append(self.value(child, depth + 1))
        return out
