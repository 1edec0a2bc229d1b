"""A run's quality figures from its drafts, and several runs side by side (``longweave
report RUN...``): how many drafts each rule check rejected (near-duplicates among them),
how many judged drafts passed each rubric axis and their mean scores, and the yield. Made
to compare runs that differ in one thing, e.g. the claims paradigm's ``clipper`` and
``naive`` strategies over the same books. Pure functions over stored documents."""

from __future__ import annotations

from collections import Counter
from typing import Any


def run_quality(run: dict[str, Any], drafts: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's figures: shares are of the drafts that reached that stage."""
    request = run.get("request") or {}
    validated = [d["validation"] for d in drafts if d.get("validation")]
    judged = [d["judgment"] for d in drafts if d.get("judgment")]
    failed_checks = Counter(c["name"] for v in validated for c in v.get("checks", [])
                            if not c.get("passed"))
    axes = sorted({a for j in judged for a in j.get("scores", {})})
    scored = {a: [j["scores"][a]["score"] for j in judged if a in j.get("scores", {})]
              for a in axes}
    requested = run.get("requested") or request.get("count") or 0
    return {
        "run_id": run.get("_id"),
        "paradigm": request.get("paradigm", "conversation"),
        "strategy": (request.get("params") or {}).get("strategy"),
        "requested": requested,
        "accepted": run.get("accepted", 0),
        "dead_lettered": run.get("dead_lettered", 0),
        "yield": run.get("accepted", 0) / requested if requested else 0.0,
        "drafts": len(drafts),
        "validated": len(validated),
        "check_failure_rates": {name: n / len(validated)
                                for name, n in sorted(failed_checks.items())},
        "duplicate_rate": failed_checks["near_duplicate"] / len(validated) if validated else 0.0,
        "judged": len(judged),
        "axis_pass_rates": {a: sum(a not in j.get("failed_axes", []) for j in judged
                                   if a in j.get("scores", {})) / len(scored[a])
                            for a in axes},
        "axis_means": {a: sum(scored[a]) / len(scored[a]) for a in axes},
    }


def side_by_side(reports: list[dict[str, Any]]) -> str:
    """A Markdown table: one column per run, one row per figure (a figure a run lacks: -)."""
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    rows: list[tuple[str, list[str]]] = [
        ("paradigm", [r["paradigm"] for r in reports]),
        ("strategy", [r["strategy"] or "-" for r in reports]),
        ("accepted / requested", [f"{r['accepted']} / {r['requested']}" for r in reports]),
        ("yield", [pct(r["yield"]) for r in reports]),
        ("drafts validated", [str(r["validated"]) for r in reports]),
        ("duplicate rate", [pct(r["duplicate_rate"]) if r["validated"] else "-"
                            for r in reports]),
    ]
    checks = sorted({c for r in reports for c in r["check_failure_rates"]})
    rows += [(f"rejected by {c}", [pct(r["check_failure_rates"].get(c, 0.0))
                                   if r["validated"] else "-" for r in reports])
             for c in checks]
    rows.append(("drafts judged", [str(r["judged"]) for r in reports]))
    axes = sorted({a for r in reports for a in r["axis_pass_rates"]})
    rows += [(f"judge {a}: passed (mean)",
              [f"{pct(r['axis_pass_rates'][a])} ({r['axis_means'][a]:.2f})"
               if a in r["axis_pass_rates"] else "-" for r in reports]) for a in axes]
    header = "| | " + " | ".join(r["run_id"] or "?" for r in reports) + " |"
    lines = [header, "|---" * (len(reports) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(values) + " |" for name, values in rows]
    return "\n".join(lines)
