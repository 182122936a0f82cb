"""Distinct users per issue, approximately, in a fixed 1 KB per issue: a HyperLogLog sketch.

Why not exact: an exact count needs a row per (issue, user) and a lookup per event; the sketch is merged in memory
for a whole batch and written with the issue's counters. Error: exact in practice below ~100 users (linear
counting), about 3% (1.04/sqrt(1024)) beyond.
"""

import hashlib
import math

REGISTER_BITS = 10
REGISTERS = 1 << REGISTER_BITS
_REST_BITS = 64 - REGISTER_BITS
_ALPHA = 0.7213 / (1 + 1.079 / REGISTERS)


def add(registers: bytearray, user_key: str) -> None:
    """Record `user_key` in `registers` (a bytearray of REGISTERS bytes)."""
    value = int.from_bytes(hashlib.blake2b(user_key.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")
    index = value >> _REST_BITS
    rest = value & ((1 << _REST_BITS) - 1)
    rank = _REST_BITS - rest.bit_length() + 1
    if rank > registers[index]:
        registers[index] = rank


def registers_of(stored: bytes | memoryview | None) -> bytearray:
    stored = bytes(stored or b"")
    return bytearray(stored) if len(stored) == REGISTERS else bytearray(REGISTERS)


def estimate(registers: bytearray) -> int:
    zeros = registers.count(0)
    if zeros == REGISTERS:
        return 0
    raw = _ALPHA * REGISTERS * REGISTERS / sum(2.0**-rank for rank in registers)
    if raw <= 2.5 * REGISTERS:
        return round(REGISTERS * math.log(REGISTERS / zeros)) if zeros else round(raw)
    return round(raw)
