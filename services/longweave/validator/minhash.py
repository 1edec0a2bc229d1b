"""MinHash signatures and LSH banding for near-duplicate detection, sub-linear per item.

A record's signature is the minimum of `NUM_PERM` seeded hash functions over its word
5-gram shingles. LSH splits the signature into bands: two records collide in a band only if
all its rows agree, so a new record is compared with the few records sharing a band hash
(an indexed lookup), never with the whole run.

Tuned against templates: shingles are word 5-grams of the dialogue only (the system
message is shared by every record of a scenario), and a collision is confirmed only when
the estimated Jaccard similarity reaches `DUPLICATE_JACCARD` (0.7). Every changed word
changes the five shingles that contain it, so a copy with 2–3% of its words changed stays
near 0.78, while two records written from one template that differ in every tenth word
fall near 0.3 (measured on 600-word texts).
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS  # 4 rows: a collision is likely from Jaccard ≈ (1/32)^(1/4) ≈ 0.42
SHINGLE = 5
DUPLICATE_JACCARD = 0.7
_MERSENNE = (1 << 61) - 1
_MAX_HASH = (1 << 32) - 1
_WORD = re.compile(r"\w+", re.UNICODE)


def _permutations() -> list[tuple[int, int]]:
    # Fixed, seeded coefficients: signatures must agree across processes and restarts.
    params = []
    for i in range(NUM_PERM):
        digest = hashlib.sha256(f"longweave-minhash-{i}".encode()).digest()
        a, b = struct.unpack("<QQ", digest[:16])
        params.append((a % (_MERSENNE - 1) + 1, b % _MERSENNE))
    return params


_PERMS = _permutations()


def shingles(text: str, size: int = SHINGLE) -> set[int]:
    words = _WORD.findall(text.lower())
    if len(words) < size:
        words = words + [""] * (size - len(words))
    return {
        int.from_bytes(hashlib.blake2b(" ".join(words[i : i + size]).encode(),
                                       digest_size=4).digest(), "little")
        for i in range(len(words) - size + 1)
    }


def signature(text: str) -> list[int]:
    grams = shingles(text)
    return [min(((a * g + b) % _MERSENNE) & _MAX_HASH for g in grams) for a, b in _PERMS]


def band_hashes(sig: list[int]) -> list[str]:
    """One key per band: "<band>:<hash of its rows>"."""
    keys = []
    for band in range(BANDS):
        rows = sig[band * ROWS : (band + 1) * ROWS]
        digest = hashlib.blake2b(struct.pack(f"<{ROWS}I", *rows), digest_size=8).hexdigest()
        keys.append(f"{band}:{digest}")
    return keys


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
