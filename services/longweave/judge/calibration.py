"""Judge calibration (the method's first experiment): human labels against the stored
judgments, per rubric axis (``longweave judge calibrate --labels FILE``).

The labels file is CSV with the header ``record_id,axis,label`` or JSON Lines with those
keys, one label per line:

- ``record_id``: a sample id (the id of an exported record: the judgment that accepted it,
  or, for a sample that was not accepted, its last judged draft) or a draft id
  (``<sample id>:a<attempt>``, one attempt's judgment, rejected drafts included);
- ``axis``: a rubric axis (``prompts/<paradigm>/rubric.yaml``);
- ``label``: ``pass`` or ``fail``, or a score 1-5, which passes when it reaches the axis's
  threshold (the rubric's ``min_score``, or the one the command is given).

"Pass" is the positive class: precision is the share of the judge's passes that the humans
passed too (low: the judge lets bad records through), recall the share of the humans'
passes that the judge passed (low: the judge over-rejects, the failure the method warns
of). Agreement is the share of labels where both agree, and Cohen's kappa corrects it for
agreement by chance."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PASS_WORDS = {"pass": True, "fail": False}


class LabelError(ValueError):
    """A labels file that cannot be read, with the line at fault."""


@dataclass(frozen=True)
class Label:
    record_id: str
    axis: str
    passed: bool | None = None  # a pass/fail label
    score: int | None = None  # a 1-5 label

    def human_pass(self, threshold: int) -> bool:
        return self.score >= threshold if self.score is not None else bool(self.passed)


@dataclass(frozen=True)
class AxisVerdict:
    """What the judge said of one axis of one judged draft."""

    score: int
    passed: bool


def parse_label(raw: Mapping[str, Any], where: str) -> Label:
    missing = [k for k in ("record_id", "axis", "label") if not str(raw.get(k) or "").strip()]
    if missing:
        raise LabelError(f"{where}: missing {', '.join(missing)}")
    value = str(raw["label"]).strip().lower()
    record_id, axis = str(raw["record_id"]).strip(), str(raw["axis"]).strip()
    if value in PASS_WORDS:
        return Label(record_id, axis, passed=PASS_WORDS[value])
    if value.isdigit() and 1 <= int(value) <= 5:
        return Label(record_id, axis, score=int(value))
    raise LabelError(f"{where}: label {raw['label']!r} is neither pass/fail nor a score 1-5")


def read_labels(path: Path) -> list[Label]:
    """Labels from a CSV or JSON Lines file (by extension: .jsonl/.json is JSON Lines)."""
    text = path.read_text(encoding="utf-8")
    labels: list[Label] = []
    if path.suffix.lower() in (".jsonl", ".json"):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LabelError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(raw, dict):
                raise LabelError(f"{path}:{number}: expected an object")
            labels.append(parse_label(raw, f"{path}:{number}"))
    else:
        reader = csv.DictReader(text.splitlines())
        if not {"record_id", "axis", "label"} <= set(reader.fieldnames or ()):
            raise LabelError(f"{path}: the CSV header must name record_id, axis and label "
                             f"(found: {', '.join(reader.fieldnames or ()) or 'nothing'})")
        for number, row in enumerate(reader, start=2):
            labels.append(parse_label(row, f"{path}:{number}"))
    if not labels:
        raise LabelError(f"{path}: no labels")
    seen: dict[tuple[str, str], int] = {}
    for i, label in enumerate(labels):
        key = (label.record_id, label.axis)
        if key in seen:
            raise LabelError(f"{path}: {label.record_id} {label.axis} is labelled twice")
        seen[key] = i
    return labels


def verdicts_of(judgment: Mapping[str, Any]) -> dict[str, AxisVerdict]:
    """A stored judgment's verdict per axis (an axis passes unless it is a failed axis)."""
    failed = set(judgment.get("failed_axes") or ())
    return {axis: AxisVerdict(int(s["score"]), axis not in failed)
            for axis, s in (judgment.get("scores") or {}).items()}


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def cohen_kappa(pairs: list[tuple[bool, bool]]) -> float | None:
    n = len(pairs)
    if not n:
        return None
    observed = sum(a == b for a, b in pairs) / n
    p_a = sum(a for a, _ in pairs) / n
    p_b = sum(b for _, b in pairs) / n
    chance = p_a * p_b + (1 - p_a) * (1 - p_b)
    return None if chance == 1 else (observed - chance) / (1 - chance)


def calibrate(labels: Iterable[Label], verdicts: Mapping[str, Mapping[str, AxisVerdict]],
              thresholds: Mapping[str, int]) -> dict[str, Any]:
    """Per axis: counts, precision, recall, F1, agreement and kappa of the judge against the
    labels (`verdicts`: record id → axis → the judge's verdict; `thresholds`: the score a
    1-5 label must reach to pass, per axis). Labels with no judgment are listed apart."""
    pairs: dict[str, list[tuple[bool, bool]]] = {}
    score_gaps: dict[str, list[int]] = {}
    unmatched: list[dict[str, str]] = []
    for label in labels:
        verdict = verdicts.get(label.record_id, {}).get(label.axis)
        if verdict is None:
            unmatched.append({"record_id": label.record_id, "axis": label.axis,
                              "why": "no judgment of this record" if label.record_id
                              not in verdicts else "the judgment has no such axis"})
            continue
        human = label.human_pass(thresholds.get(label.axis, 3))
        pairs.setdefault(label.axis, []).append((human, verdict.passed))
        if label.score is not None:
            score_gaps.setdefault(label.axis, []).append(abs(label.score - verdict.score))
    axes: dict[str, dict[str, Any]] = {}
    for axis in sorted(pairs):
        both = pairs[axis]
        tp = sum(h and j for h, j in both)
        fp = sum(j and not h for h, j in both)
        fn = sum(h and not j for h, j in both)
        tn = sum(not h and not j for h, j in both)
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        f1 = (None if precision is None or recall is None or precision + recall == 0
              else 2 * precision * recall / (precision + recall))
        gaps = score_gaps.get(axis, [])
        axes[axis] = {
            "labels": len(both), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": precision, "recall": recall, "f1": f1,
            "agreement": (tp + tn) / len(both), "kappa": cohen_kappa(both),
            "score_mae": sum(gaps) / len(gaps) if gaps else None,
        }
    return {"axes": axes, "unmatched": unmatched}


def calibration_table(result: Mapping[str, Any]) -> str:
    """The per-axis figures as a Markdown table (- where a figure is undefined)."""
    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    lines = ["| axis | labels | precision | recall | F1 | agreement | kappa | score MAE |",
             "|---|---|---|---|---|---|---|---|"]
    for axis, a in result["axes"].items():
        lines.append(f"| {axis} | {a['labels']} | {fmt(a['precision'])} | {fmt(a['recall'])} "
                     f"| {fmt(a['f1'])} | {fmt(a['agreement'])} | {fmt(a['kappa'])} "
                     f"| {fmt(a['score_mae'])} |")
    if result["unmatched"]:
        lines.append(f"\n{len(result['unmatched'])} labels matched no judgment, e.g. "
                     f"{result['unmatched'][0]['record_id']} {result['unmatched'][0]['axis']}"
                     f" ({result['unmatched'][0]['why']})")
    return "\n".join(lines)
