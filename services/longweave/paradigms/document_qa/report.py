"""The document-grounded paradigm's section of ``longweave report``: where the evidence of
the accepted records sits in their contexts (lost in the middle), against where each
question's passages were planned, and how much of the quoted evidence was found."""

from __future__ import annotations

from collections import Counter
from typing import Any

from longweave.corpus.passages import POSITIONS
from longweave.paradigms.base import ReportSection


def report_section(records: list[dict[str, Any]]) -> ReportSection:
    pairs = [(r, pair) for r in records for pair in r.get("pairs", [])]
    positions: Counter[str] = Counter(p for _, pair in pairs
                                      for p in pair.get("evidence_positions", []))
    planned: Counter[str] = Counter(str(pair.get("position")) for _, pair in pairs
                                    if pair.get("position"))
    tasks: Counter[str] = Counter(str(pair.get("task_type")) for _, pair in pairs)
    quotes = [e for _, pair in pairs for e in pair.get("evidence", [])]
    located = [e for e in quotes if e.get("start") is not None]
    offsets = [e["start"] / max(1, len(r.get("context", ""))) for r, pair in pairs
               for e in pair.get("evidence", []) if e.get("start") is not None]
    answerable = [pair for _, pair in pairs if not pair.get("unanswerable")]
    where_planned = [pair for pair in answerable
                     if pair.get("position") in pair.get("evidence_positions", [])]
    return ReportSection(
        title="Document QA: evidence positions",
        notes=("Evidence positions: the third of the context each located quote starts "
               "in; planned: the third each question's first passage was drawn from.",),
        numbers={
            "pairs": len(pairs),
            "evidence quotes": len(quotes),
            "quotes located in the context": _share(len(located), len(quotes)),
            "answerable pairs with evidence where planned":
                _share(len(where_planned), len(answerable)),
        },
        counts={
            "evidence position": {p: positions.get(p, 0) for p in POSITIONS},
            "planned position": {p: planned.get(p, 0) for p in POSITIONS},
            "task type": dict(tasks.most_common()),
        },
        distributions={"evidence offset (share of the context)": offsets},
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
