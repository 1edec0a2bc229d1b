"""The claims paradigm's section of ``longweave report``: compression (outline tokens of
chapter tokens, summary tokens of book tokens) per book, each book counted once, and the
claim pairs' scopes and strategies."""

from __future__ import annotations

from collections import Counter
from typing import Any

from longweave.paradigms.base import ReportSection

RATIOS = {"outlines / chapters": ("outline_tokens", "chapter_tokens"),
          "summary / book": ("summary_tokens", "book_tokens")}


def report_section(records: list[dict[str, Any]]) -> ReportSection:
    per_book = {r["book"]["id"]: r["compression"] for r in records
                if r.get("compression") and r.get("book")}
    numbers: dict[str, float | int | str | None] = {"claim pairs": len(records),
                                                    "books": len(per_book)}
    distributions: dict[str, list[float]] = {}
    for label, (part, whole) in RATIOS.items():
        ratios = [c[part] / c[whole] for c in per_book.values() if c.get(whole)]
        distributions[f"compression: {label} (per book)"] = ratios
        total_whole = sum(c.get(whole, 0) for c in per_book.values())
        numbers[f"compression: {label} (run)"] = \
            sum(c.get(part, 0) for c in per_book.values()) / total_whole if total_whole else None
    return ReportSection(
        title="Claims: compression and scope",
        notes=("Compression: the outlines' tokens as a share of the chapters' tokens, the "
               "book summary's of the book's, per book.",),
        numbers=numbers,
        counts={"scope": dict(sorted(Counter(str(r.get("scope")) for r in records).items())),
                "strategy": dict(sorted(Counter(str(r.get("strategy"))
                                                for r in records).items()))},
        distributions=distributions,
    )
