"""Sampling parameters derived from what a call is for, so a repeated call is the same call."""

from __future__ import annotations

import hashlib


def decoding_seed(*parts: object) -> int:
    """A sampling seed per (sample, attempt, segment, …). Sample ids contain the run id, so a
    restarted run asks the very same questions (and its cached replies are reused) while
    another run, even of the same scenarios, gets fresh samples instead of cached copies."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "little") % (2**31)


def attempt_temperature(base: float, attempt: int) -> float:
    """A little more randomness on each regeneration: the same prompt at the same
    temperature tends to reproduce the draft that was just rejected."""
    return round(min(base + 0.1 * (attempt - 1), max(base, 1.2)), 3)
