"""Glob patterns that people type into rules and filters ("1.2.*", "shop.*", "*health*"): `*` is any run of
characters, `?` any one character, everything else itself.

Matched by a linear scan with one backtracking point (the last `*`), never through a regular expression: a pattern
such as `*a*a*a*a*a*b` against a long run of "a" makes a backtracking regex take exponential time, and patterns are
untrusted input that every event may be matched against. Worst case here: len(pattern) * len(text) steps, both
capped (MAX_PATTERN_LENGTH, and the callers' field caps).
"""

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
