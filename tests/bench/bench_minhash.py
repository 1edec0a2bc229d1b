"""The near-duplicate signature: time per record and how it separates copies from templates.

    PYTHONPATH=services python tests/bench/bench_minhash.py [--text BOOK.txt] [--records 200]

Cuts `--records` passages of 600 words from a plain-text book and prints:

- milliseconds per record of `longweave.validator.minhash.signature` (word 5-gram shingles,
  128 permutations, shingling included), beside the same sketch by datasketch's ``MinHash``
  and rensa's ``CMinHash`` when they are installed (``pip install datasketch``);
- the estimated Jaccard similarity (mean, and the extreme towards the threshold) of a
  passage and a copy with 2% and 3% of its words changed, and of two fills of one template
  that differ in every tenth word, beside the exact Jaccard similarity of the same pairs:
  the figures quoted in minhash.py's docstring, against `DUPLICATE_JACCARD`.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services"))

from longweave.validator.minhash import (  # noqa: E402
    DUPLICATE_JACCARD,
    NUM_PERM,
    SEED,
    jaccard_estimate,
    shingles,
    signature,
)

BOOK = Path("/work/shared/books/pride_and_prejudice.txt")


def passages(text: str, n: int, words: int = 600) -> list[str]:
    tokens = re.findall(r"\w+", text)
    rng = random.Random(0)
    return [" ".join(tokens[i : i + words])
            for i in (rng.randrange(len(tokens) - words) for _ in range(n))]


def alternatives() -> dict[str, Callable[[str], object]]:
    found: dict[str, Callable[[str], object]] = {"longweave (rensa RMinHash)": signature}
    try:
        from datasketch import MinHash
    except ImportError:
        pass
    else:
        def datasketch_sig(text: str) -> object:
            sketch = MinHash(num_perm=NUM_PERM, seed=SEED)
            sketch.update_batch([s.encode() for s in shingles(text)])
            return sketch.hashvalues
        found["datasketch MinHash"] = datasketch_sig
    try:
        from rensa import CMinHash
    except ImportError:
        pass
    else:
        def cminhash_sig(text: str) -> object:
            sketch = CMinHash(NUM_PERM, SEED)
            sketch.update(list(shingles(text)))
            return sketch.digest()
        found["rensa CMinHash"] = cminhash_sig
    return found


def changed(text: str, share: float, rng: random.Random) -> str:
    words = text.split()
    for i in rng.sample(range(len(words)), int(len(words) * share)):
        words[i] = f"zq{rng.randrange(10**6)}"
    return " ".join(words)


def template_fill(text: str, rng: random.Random) -> str:
    return " ".join(f"v{rng.randrange(10**6)}" if i % 10 == 0 else w
                    for i, w in enumerate(text.split()))


def exact(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--text", type=Path, default=BOOK)
    parser.add_argument("--records", type=int, default=200)
    args = parser.parse_args()
    if not args.text.exists():
        sys.exit(f"no text at {args.text}: pass --text with a plain-text book")
    records = passages(args.text.read_text(encoding="utf-8"), args.records)

    print(f"{len(records)} records of 600 words, {NUM_PERM} permutations")
    for name, fn in alternatives().items():
        best = min(timeit.repeat(lambda fn=fn: [fn(r) for r in records], number=1, repeat=5))
        print(f"  {name:28s} {best / len(records) * 1000:.3f} ms per record")

    rng = random.Random(1)
    pairs = {
        "2% of the words changed": [(r, changed(r, 0.02, rng)) for r in records],
        "3% of the words changed": [(r, changed(r, 0.03, rng)) for r in records],
        "one template, every 10th word differs": [(template_fill(r, rng), template_fill(r, rng))
                                                  for r in records],
    }
    print(f"estimated (exact) Jaccard similarity; duplicates from {DUPLICATE_JACCARD}")
    for name, pairs_of in pairs.items():
        estimates = [jaccard_estimate(signature(a), signature(b)) for a, b in pairs_of]
        exacts = [exact(a, b) for a, b in pairs_of]
        duplicate = name.startswith(("2%", "3%"))
        extreme = min(estimates) if duplicate else max(estimates)
        print(f"  {name:40s} mean {statistics.mean(estimates):.3f} "
              f"({statistics.mean(exacts):.3f}), {'min' if duplicate else 'max'} {extreme:.3f}")


if __name__ == "__main__":
    main()
