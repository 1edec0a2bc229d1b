"""MinHash signatures and LSH banding for near-duplicate detection, sub-linear per item.

A record's signature is `NUM_PERM` MinHash values of its set of word 5-gram shingles,
computed by `rensa`'s ``RMinHash`` (Rust; MIT licence): two signatures agree in a slot
with probability equal to the Jaccard similarity of the two shingle sets. Measured on this
project's 2-core machine (``tests/bench/bench_minhash.py``: 600-word records, 128
permutations, shingling included), rensa takes 0.31 ms per record, the hand-written
one-permutation hashing it replaced 0.87-0.90 ms and datasketch 1.17 ms. Its values are
32-bit unsigned integers: stored packed as 8 bytes per slot (the format of the values
before them), and well inside BSON's int64 either way.

LSH splits the signature into bands: two records collide in a band only if all its rows
agree, so a new record is compared with the few records sharing a band hash (an indexed
lookup), never with the whole run.

Tuned against templates: shingles are word 5-grams of the dialogue only (the system
message is shared by every record of a scenario), and a collision is confirmed only when
the estimated Jaccard similarity reaches `DUPLICATE_JACCARD` (0.7). Every changed word
changes the five shingles that contain it, so a copy with 2% of its words changed
estimates near 0.82 and one with 3% near 0.75 (the lowest of 200: 0.64, so a copy edited
that much is sometimes let through), while two records written from one template that
differ in every tenth word estimate near 0.33 (the highest of 200: 0.45); the exact
Jaccard similarities of the same pairs average 0.82, 0.75 and 0.34 (200 600-word
passages of a novel, ``tests/bench/bench_minhash.py``).
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from rensa import RMinHash

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS  # 4 rows: a collision is likely from Jaccard ≈ (1/32)^(1/4) ≈ 0.42
SHINGLE = 5
DUPLICATE_JACCARD = 0.7
# The permutations' seed: every process must draw the same ones for signatures to compare.
SEED = 20_240_601
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    """The text's word `size`-grams (lower-cased; a shorter text is one padded shingle)."""
    words = _WORD.findall(text.lower())
    if len(words) < size:
        words = words + [""] * (size - len(words))
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def signature(text: str) -> list[int]:
    sketch = RMinHash(NUM_PERM, SEED)
    sketch.update(list(shingles(text)))
    return [int(v) for v in sketch.digest()]


def band_hashes(sig: list[int]) -> list[str]:
    """One key per band: "<band>:<hash of its rows>"."""
    keys = []
    for band in range(BANDS):
        rows = sig[band * ROWS : (band + 1) * ROWS]
        digest = hashlib.blake2b(struct.pack(f"<{ROWS}Q", *rows), digest_size=8).hexdigest()
        keys.append(f"{band}:{digest}")
    return keys


def pack_signature(sig: list[int]) -> bytes:
    """The signature as stored: 8 bytes per slot, one BSON binary rather than an array of
    128 numbers, which costs the store and the driver far more to encode and decode."""
    return struct.pack(f"<{len(sig)}Q", *sig)


def unpack_signature(stored: bytes | list[int]) -> list[int]:
    """A stored signature (packed, or a list as written before packing)."""
    if isinstance(stored, list):
        return stored
    return list(struct.unpack(f"<{len(stored) // 8}Q", stored))


def jaccard_estimate(a: list[int], b: list[int]) -> float:
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


@dataclass(frozen=True)
class Match:
    sample_id: str
    similarity: float


def best_duplicate(sig: list[int], candidates: Iterable[tuple[str, list[int]]]
                   ) -> Match | None:
    """The most similar candidate at or above the duplicate threshold, if any."""
    best: Match | None = None
    for sample_id, other in candidates:
        similarity = jaccard_estimate(sig, other)
        if similarity >= DUPLICATE_JACCARD and (best is None or similarity > best.similarity):
            best = Match(sample_id, similarity)
    return best


@dataclass
class MemoryLSHIndex:
    """An in-process LSH index (for batch checks and tests); the mesh keeps the same
    structure in MongoDB (`dedup_signatures`: each record's signature and band keys,
    multikey-indexed by run and band key; see dedup.py)."""

    buckets: dict[str, set[str]] = field(default_factory=dict)
    signatures: dict[str, list[int]] = field(default_factory=dict)

    def candidates(self, sig: list[int], exclude: str) -> list[tuple[str, list[int]]]:
        ids = {i for key in band_hashes(sig) for i in self.buckets.get(key, ())} - {exclude}
        return [(i, self.signatures[i]) for i in sorted(ids)]

    def add(self, sample_id: str, sig: list[int]) -> None:
        self.signatures[sample_id] = sig
        for key in band_hashes(sig):
            self.buckets.setdefault(key, set()).add(sample_id)
