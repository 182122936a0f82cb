"""Glob patterns that people type into rules and filters ("1.2.*", "shop.*", "*health*"): `*` is any run of
characters, `?` any one character, everything else itself.

Matched by a linear scan with one backtracking point (the last `*`), never through a regular expression: a pattern
such as `*a*a*a*a*a*b` against a long run of "a" makes a backtracking regex take exponential time, and patterns are
untrusted input that every event may be matched against. Worst case here: len(pattern) * len(text) steps, both
capped (MAX_PATTERN_LENGTH, and the callers' field caps). `compile_glob` does the same work in C for a pattern
matched against every event (inbound filters); the only regular expressions it builds are its own, of escaped
characters and `.`, never a user's.
"""

import re
from collections.abc import Callable

MAX_PATTERN_LENGTH = 200


def glob_match(pattern: str, text: str) -> bool:
    """Whether all of `text` matches `pattern` (case-sensitive)."""
    p = t = 0
    star = -1  # index in the pattern just after the last `*` seen
    star_t = 0  # where in the text that `*` currently ends
    while t < len(text):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[t]):
            p += 1
            t += 1
        elif p < len(pattern) and pattern[p] == "*":
            star = p + 1
            star_t = t
            p += 1
        elif star >= 0:
            star_t += 1  # let the last `*` take one more character
            t = star_t
            p = star
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


class _Segment:
    """A run of a pattern between two `*`: literal text, or with `?` a regular expression of escaped characters and
    `.` only (fixed length, no quantifier, no alternation: searching it is linear in the text)."""

    def __init__(self, part: str):
        self.size = len(part)
        self.literal = part if "?" not in part else None
        self.regex = None if self.literal is not None else re.compile(_fixed_regex(part), re.DOTALL)

    def at(self, text: str, pos: int) -> bool:
        if self.literal is not None:
            return text.startswith(self.literal, pos)
        return self.regex.match(text, pos) is not None

    def find(self, text: str, pos: int, end: int) -> int:
        if self.literal is not None:
            return text.find(self.literal, pos, end)
        found = self.regex.search(text, pos, end)
        return found.start() if found else -1


def _fixed_regex(part: str) -> str:
    return "".join("." if char == "?" else re.escape(char) for char in part)


def compile_glob(pattern: str) -> Callable[[str], bool]:
    """A matcher equivalent to `glob_match(pattern, ·)`, built once for a pattern matched against many texts.

    The head must start the text and the tail end it; the runs between stars are then found left to right, each
    at its first occurrence (taking the first is never worse for the runs after it). Each run is a str.find or a
    quantifier-free regex search, so a match costs at most len(pattern) * len(text) character comparisons, in C.
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(f"a pattern has at most {MAX_PATTERN_LENGTH} characters")
    parts = pattern.split("*")
    if len(parts) == 1:
        whole = _Segment(pattern)
        return lambda text: len(text) == whole.size and whole.at(text, 0)
    head, tail = _Segment(parts[0]), _Segment(parts[-1])
    middle = [_Segment(part) for part in parts[1:-1] if part]
    least = head.size + tail.size + sum(segment.size for segment in middle)

    def match(text: str) -> bool:
        end = len(text) - tail.size
        if len(text) < least or not head.at(text, 0) or not tail.at(text, end):
            return False
        pos = head.size
        for segment in middle:
            found = segment.find(text, pos, end)
            if found < 0:
                return False
            pos = found + segment.size
        return True

    return match


class GlobSet:
    """Whether a text matches any of many globs, in about as many C calls as there are kinds of pattern: exact
    texts are one set lookup, `prefix*` patterns one str.startswith of a tuple, `*suffix` one str.endswith,
    `*part*` patterns one search of an alternation of their escaped texts (literals only: no quantifier, so no
    backtracking beyond trying each literal at each position), and only the rest are matched one by one
    (compiled). For filters, where most patterns are of these four kinds."""

    def __init__(self, patterns):
        self.exact, prefixes, suffixes, parts, self.others = set(), [], [], [], []
        for pattern in patterns:
            inner = pattern[1:-1]
            if len(pattern) >= 2 and pattern[0] == pattern[-1] == "*" and inner and not set(inner) & {"*", "?"}:
                parts.append(inner)
            elif "?" in pattern or pattern.count("*") > 1 or ("*" in pattern and pattern.strip("*") == pattern):
                self.others.append(compile_glob(pattern))
            elif "*" not in pattern:
                self.exact.add(pattern)
            elif pattern.endswith("*"):
                prefixes.append(pattern[:-1])
            else:
                suffixes.append(pattern[1:])
        self.prefixes, self.suffixes = tuple(prefixes), tuple(suffixes)
        self.parts = re.compile("|".join(map(re.escape, parts)), re.DOTALL).search if parts else None

    def __call__(self, text: str) -> bool:
        if text in self.exact:
            return True
        if self.prefixes and text.startswith(self.prefixes):
            return True
        if self.suffixes and text.endswith(self.suffixes):
            return True
        if self.parts is not None and self.parts(text) is not None:
            return True
        return bool(self.others) and any(match(text) for match in self.others)
