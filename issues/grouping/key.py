"""A grouping key: readable parts (kept as `Grouping.key_text`, shown on the issue page as "why grouped") and their
hash. The same shape for every grouping version; each version decides the parts."""

import hashlib
from dataclasses import dataclass

MAX_KEY_TEXT = 16_000


@dataclass(frozen=True)
class GroupingKey:
    version: str
    kind: str  # fingerprint | stacktrace | exception | message | empty
    parts: tuple[str, ...]
    # The event's fingerprint with `{{ default }}` replaced by the default key's hash, for the stored event to
    # show what it was; empty when the event sent none. Not part of the key.
    fingerprint: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.parts)[:MAX_KEY_TEXT]

    @property
    def hash(self) -> str:
        return hashlib.sha256("\n".join(self.parts).encode("utf-8", "surrogatepass")).hexdigest()
