"""Distinct users, approximately, in a fixed size: HyperLogLog sketches.

Why not exact: an exact count needs a row per (issue, user) and a lookup per event; a sketch is merged in memory
for a whole batch and written with the counters it belongs to. Two sizes: an issue's own sketch (1 KB: exact in
practice below ~100 users by linear counting, about 3% error beyond) and the small one of each minute that alert
rules merge over their window (256 bytes: about 6.5% error, exact-ish below ~60 users).
"""

import hashlib
import math

REGISTERS = 1 << 10  # an issue's sketch
MINUTE_REGISTERS = 1 << 8  # a minute's sketch (IssueMinuteCount)


def _hash(user_key: str) -> int:
    return int.from_bytes(hashlib.blake2b(user_key.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


def add(registers: bytearray, user_key: str) -> None:
    """Record `user_key` in `registers` (a bytearray whose length is a power of two)."""
    index_bits = len(registers).bit_length() - 1
    rest_bits = 64 - index_bits
    value = _hash(user_key)
    index = value >> rest_bits
    rank = rest_bits - (value & ((1 << rest_bits) - 1)).bit_length() + 1
    if rank > registers[index]:
        registers[index] = rank


def registers_of(stored: bytes | memoryview | None, size: int = REGISTERS) -> bytearray:
    stored = bytes(stored or b"")
    return bytearray(stored) if len(stored) == size else bytearray(size)


def merge(into: bytearray, other: bytes | bytearray) -> None:
    """`into` becomes the sketch of both sets (same size)."""
    for index, rank in enumerate(other):
        if rank > into[index]:
            into[index] = rank


def estimate(registers: bytearray) -> int:
    size = len(registers)
    zeros = registers.count(0)
    if zeros == size:
        return 0
    alpha = 0.7213 / (1 + 1.079 / size)
    raw = alpha * size * size / sum(2.0**-rank for rank in registers)
    if raw <= 2.5 * size:
        return round(size * math.log(size / zeros)) if zeros else round(raw)
    return round(raw)
