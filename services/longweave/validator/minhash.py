"""MinHash signatures and LSH banding for near-duplicate detection, sub-linear per item.

A record's signature has `NUM_PERM` slots computed by one-permutation hashing with
densification (Shrivastava & Li, "Densifying One Permutation Hashing via Rotation for Fast
Near Neighbor Search", ICML 2014): each word 5-gram shingle is hashed once, its hash picks a
slot and the slot keeps the smallest value; an empty slot borrows the value of the next
filled one (with an offset per step, so borrowed values match only when both records
borrowed alike). Two signatures agree in a slot with probability ≈ the Jaccard similarity
of their shingle sets, as with `NUM_PERM` independent permutations, at 1/`NUM_PERM` of
the cost: the classic form was a third of the mesh's CPU per record.

LSH splits the signature into bands: two records collide in a band only if all its rows
agree, so a new record is compared with the few records sharing a band hash (an indexed
lookup), never with the whole run.

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
_WORD = re.compile(r"\w+", re.UNICODE)
# A shingle's value: 48 bits of its hash above the slot's; with the densification offsets
# every value stays under 2^55, an int64 in BSON.
_MAX_VALUE = (1 << 48) - 1
_EMPTY = -1


def shingle_hashes(text: str, size: int = SHINGLE) -> set[int]:
    """64-bit hashes of the text's word `size`-grams (lower-cased)."""
    words = _WORD.findall(text.lower())
    if len(words) < size:
        words = words + [""] * (size - len(words))
    return {
        int.from_bytes(hashlib.blake2b(" ".join(words[i : i + size]).encode(),
                                       digest_size=8).digest(), "little")
        for i in range(len(words) - size + 1)
    }


def signature(text: str) -> list[int]:
    slots = [_EMPTY] * NUM_PERM
    for h in shingle_hashes(text):
        slot, value = h % NUM_PERM, (h // NUM_PERM) & _MAX_VALUE
        if slots[slot] == _EMPTY or value < slots[slot]:
            slots[slot] = value
    return _densify(slots)


def _densify(slots: list[int]) -> list[int]:
    """Fill each empty slot from the next filled one to its right (circularly), offset by
    the distance, so records agree there only if they agree on the slot borrowed from."""
    filled = [i for i, v in enumerate(slots) if v != _EMPTY]
    if not filled:
        return [0] * NUM_PERM
    out = list(slots)
    for i, v in enumerate(slots):
        if v == _EMPTY:
            step = next((d for d in range(1, NUM_PERM) if slots[(i + d) % NUM_PERM] != _EMPTY))
            out[i] = slots[(i + step) % NUM_PERM] + step * (_MAX_VALUE + 1)
    return out


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
