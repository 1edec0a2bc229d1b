"""The reasoning paradigm's section of ``longweave report``: question kinds, and the depth
of the planted facts the accepted records reason over."""

from __future__ import annotations

from collections import Counter
from typing import Any

from longweave.paradigms.base import ReportSection


def report_section(records: list[dict[str, Any]]) -> ReportSection:
    kinds: Counter[str] = Counter(str(r.get("kind") or "free_form") for r in records)
    buckets: Counter[str] = Counter(str(f.get("bucket")) for r in records
                                    for f in r.get("facts", []))
    citations = [len(r.get("citations") or []) for r in records]
    return ReportSection(
        title="Reasoning: question kinds and fact depth",
        numbers={"records": len(records),
                 "citations per record": sum(citations) / len(citations) if citations else None},
        counts={"question kind": dict(kinds.most_common()),
                "planted facts by depth": dict(sorted(buckets.items()))},
    )
