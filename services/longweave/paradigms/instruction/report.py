"""The verifiable-instruction paradigm's section of ``longweave report``: how often each
instruction type's checker passed, over every checked draft and over first attempts (the
generator before any feedback), read from the ``instructions_followed`` check's verdicts."""

from __future__ import annotations

from collections import Counter
from typing import Any

from longweave.paradigms.base import ReportSection

CHECK = "instructions_followed"


def verdicts_of(draft: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The instruction verdicts of a checked draft (None: not checked)."""
    for check in (draft.get("validation") or {}).get("checks", []):
        if check.get("name") == CHECK:
            found: list[dict[str, Any]] = (check.get("details") or {}).get("verdicts", [])
            return found
    return None


def report_section(records: list[dict[str, Any]], drafts: list[dict[str, Any]]
                   ) -> ReportSection:
    checked = [(d, v) for d in drafts if (v := verdicts_of(d)) is not None]
    checked_types: Counter[str] = Counter()
    followed_types: Counter[str] = Counter()
    for _, verdicts in checked:
        for verdict in verdicts:
            checked_types[verdict["name"]] += 1
            followed_types[verdict["name"]] += bool(verdict.get("followed"))
    first = [v for d, v in checked if d.get("attempt") == 1]
    numbers: dict[str, float | int | str | None] = {
        "drafts checked": len(checked),
        "drafts following every instruction": _share(
            sum(all(x.get("followed") for x in v) for _, v in checked), len(checked)),
        "first attempts following every instruction": _share(
            sum(all(x.get("followed") for x in v) for v in first), len(first)),
        "instructions per accepted record": _mean(
            [len(r.get("instructions", [])) for r in records]),
    }
    for name in sorted(checked_types):
        numbers[f"pass rate: {name}"] = followed_types[name] / checked_types[name]
    return ReportSection(
        title="Instruction: pass rates per instruction type",
        notes=("Each response of each checked draft against each of its instructions "
               "(the request's strict or loose mode), rejected drafts included.",),
        numbers=numbers,
        counts={"verdicts checked": dict(sorted(checked_types.items())),
                "verdicts followed": {k: followed_types[k] for k in sorted(checked_types)}},
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None
