"""Pure logic for paradigms that read the document corpus: a window of whole chunks of a
document of about a requested length, cut at a paragraph or sentence end; a document's
provenance; which third of a context an offset falls in; and where a quote sits in the
context (exactly, or fuzzily at ≥ 90%)."""

from __future__ import annotations

import random
import re
from typing import Any

from rapidfuzz import fuzz

POSITIONS = ("beginning", "middle", "end")
QUOTE_SIMILARITY = 0.9  # a quote found at ≥ 90% similarity counts as found


def position_of(offset: int, length: int) -> str:
    """Which third of the context an offset falls in."""
    return POSITIONS[min(2, 3 * offset // max(1, length))]


def window(doc: dict[str, Any], tokens: int, rng: random.Random
            ) -> tuple[int, int, list[dict[str, Any]]]:
    """A run of whole chunks of `doc` with at least `tokens` tokens: (start, end, chunks).
    `cut` trims it to about `tokens` at a paragraph or sentence end."""
    chunks = doc["chunks"]
    total = 0
    spans = []  # (first chunk, last chunk) of every window with enough tokens
    first = 0
    for last, chunk in enumerate(chunks):
        total += chunk["tokens"]
        while total - chunks[first]["tokens"] >= tokens and first < last:
            total -= chunks[first]["tokens"]
            first += 1
        if total >= tokens:
            spans.append((first, last))
    if not spans:  # shorter than asked: all of it
        return chunks[0]["start"], chunks[-1]["end"], list(chunks)
    first, last = spans[rng.randrange(len(spans))]
    return chunks[first]["start"], chunks[last]["end"], chunks[first:last + 1]


def provenance(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], "title": doc["title"], "licence": doc.get("licence"),
            "source": (doc.get("metadata") or {}).get("source_url") or doc.get("source")}


def cut(body: str, target_chars: int, floor_share: float) -> str:
    """`body` cut to about `target_chars`: at the last paragraph end before it, else the
    last sentence end, no shorter than `floor_share` of it; else right there."""
    if len(body) <= target_chars:
        return body
    floor = int(target_chars * floor_share)
    head = body[:target_chars]
    paragraph = head.rfind("\n\n")
    if paragraph >= floor:
        return head[:paragraph]
    sentences = [m.end() for m in re.finditer(r"[.!?][\"'’”)]*(?=\s)", head)]
    if sentences and sentences[-1] >= floor:
        return head[:sentences[-1]]
    return head


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def similarity(a: str, b: str) -> float:
    return fuzz.ratio(_normalised(a), _normalised(b)) / 100


def locate(quote: str, passages: list[dict[str, Any]]) -> dict[str, Any]:
    """Where `quote` sits in the context: {start, end, similarity}, searched in the unit's
    passages (exactly, then fuzzily); start is None when it is nowhere near them."""
    for p in passages:
        at = p["text"].find(quote)
        if at >= 0:
            return {"start": p["start"] + at, "end": p["start"] + at + len(quote),
                    "similarity": 1.0}
    best: dict[str, Any] = {"start": None, "end": None, "similarity": 0.0}
    for p in passages:
        found = fuzz.partial_ratio_alignment(quote, p["text"], score_cutoff=80)
        if found is not None:
            s, e = p["start"] + found.dest_start, p["start"] + found.dest_end
            score = similarity(quote, p["text"][found.dest_start:found.dest_end])
            if score > best["similarity"]:
                best = {"start": s, "end": e, "similarity": round(score, 3)}
    return best if best["similarity"] >= QUOTE_SIMILARITY else {**best, "start": None,
                                                                  "end": None}
