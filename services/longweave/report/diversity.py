"""Diversity of a set of texts, pure: distinct-n, self-BLEU (sacrebleu), a lexical
embedding (hashed TF-IDF vectors) and, from any embeddings, the distribution of pairwise
cosine similarities and the nearest pairs.

- distinct-n (Li et al., 2016): distinct n-grams over all n-grams of all the texts, words
  lower-cased (`words`; a letter is a word in scripts written without spaces).
- self-BLEU (Zhu et al., 2018): the mean over a seeded sample of the texts of each one's
  sentence BLEU (sacrebleu, 0-100, effective order) against all the others as references;
  higher means more alike.
- `hashed_tfidf`: each text's word 1- and 2-grams hashed (CRC-32) into `dims` buckets,
  log-scaled counts times the smoothed IDF over the texts given, L2-normalised. A lexical
  stand-in for an embedding model: it sees shared words, not shared meaning.
"""

from __future__ import annotations

import random
import zlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from longweave.language import tokens

SELF_BLEU_SAMPLE = 30  # texts; each is scored against the others
SELF_BLEU_MAX_WORDS = 1500  # of each text: BLEU's cost grows with length × references
HASHED_DIMS = 2**14
SIMILARITY_BINS = 40  # over [-1, 1]: 0.05 wide
MAX_VALUES_KEPT = 5000  # pairs whose similarities the JSON lists one by one


def words(text: str) -> list[str]:
    return tokens(text)  # a letter is a word in scripts written without spaces


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(texts: Sequence[str], n: int) -> float | None:
    """Distinct n-grams / all n-grams over the texts (None: no n-gram at all)."""
    total: int = 0
    seen: set[tuple[str, ...]] = set()
    for text in texts:
        grams = ngrams(words(text), n)
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else None


def seeded_sample(items: Sequence[Any], k: int, seed: str) -> list[int]:
    """Indexes of up to `k` of the items, chosen with `seed`, in their original order."""
    if len(items) <= k:
        return list(range(len(items)))
    return sorted(random.Random(seed).sample(range(len(items)), k))


def self_bleu(texts: Sequence[str], sample: int = SELF_BLEU_SAMPLE, seed: str = "self-bleu"
              ) -> dict[str, Any]:
    """{"value": mean sentence BLEU (0-100) of each sampled text against the other sampled
    texts, "texts": how many were sampled}; value None with fewer than two texts."""
    from sacrebleu.metrics import BLEU

    chosen = [" ".join(words(texts[i])[:SELF_BLEU_MAX_WORDS])
              for i in seeded_sample(texts, sample, seed)]
    chosen = [t for t in chosen if t]
    if len(chosen) < 2:
        return {"value": None, "texts": len(chosen)}
    bleu = BLEU(effective_order=True, tokenize="none")
    scores = [bleu.sentence_score(text, chosen[:i] + chosen[i + 1:]).score
              for i, text in enumerate(chosen)]
    return {"value": sum(scores) / len(scores), "texts": len(chosen)}


def hashed_tfidf(texts: Sequence[str], dims: int = HASHED_DIMS) -> np.ndarray:
    """One L2-normalised row per text (see the module doc)."""
    counts = []
    for text in texts:
        tokens = words(text)
        grams = [" ".join(g) for n in (1, 2) for g in ngrams(tokens, n)]
        counts.append(Counter(zlib.crc32(g.encode()) % dims for g in grams))
    df: Counter[int] = Counter(b for c in counts for b in c)
    idf = {b: np.log((1 + len(texts)) / (1 + n)) + 1.0 for b, n in df.items()}
    vectors = np.zeros((len(texts), dims), dtype=np.float32)
    for row, c in enumerate(counts):
        for bucket, n in c.items():
            vectors[row, bucket] = (1.0 + np.log(n)) * idf[bucket]
    return normalised(vectors)


def normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def pairwise_cosines(vectors: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """The cosine similarity of every pair (i < j), as a flat array in (i, j) order."""
    matrix = normalised(np.asarray(vectors, dtype=np.float64))
    sims = matrix @ matrix.T
    upper = np.triu_indices(len(matrix), k=1)
    return np.asarray(sims[upper])


def similarity_figures(vectors: Sequence[Sequence[float]] | np.ndarray, ids: Sequence[str],
                       nearest: int = 5, bins: int = SIMILARITY_BINS) -> dict[str, Any]:
    """The distribution of pairwise cosine similarities (a histogram over [-1, 1], its
    summary, and the values themselves up to `MAX_VALUES_KEPT` pairs) and the `nearest`
    most similar pairs (ids and similarity)."""
    n = len(ids)
    sims = pairwise_cosines(vectors) if n >= 2 else np.zeros(0)
    if sims.size == 0:
        return {"pairs": 0, "values": [], "histogram": None, "mean": None, "median": None,
                "p95": None, "max": None, "nearest": []}
    first, second = np.triu_indices(n, k=1)
    order = np.argsort(-sims, kind="stable")[:nearest]
    counts, edges = np.histogram(sims, bins=bins, range=(-1.0, 1.0))
    return {
        "pairs": int(sims.size),
        "values": [round(float(v), 6) for v in sims] if sims.size <= MAX_VALUES_KEPT
        else None,
        "histogram": {"counts": [int(c) for c in counts], "edges": [float(e) for e in edges]},
        "mean": float(sims.mean()),
        "median": float(np.median(sims)),
        "p95": float(np.percentile(sims, 95)),
        "max": float(sims.max()),
        "nearest": [{"a": ids[int(first[k])], "b": ids[int(second[k])],
                     "similarity": float(sims[k])} for k in order],
    }
