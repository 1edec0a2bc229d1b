"""The stored judgments that human labels are compared with (``longweave judge calibrate``):
the Mongo reads for `judge.calibration`."""

from __future__ import annotations

from typing import Any

from longweave.judge.calibration import AxisVerdict, Label, calibrate, verdicts_of
from longweave.judge.logic import load_rubric
from longweave.paradigms import PARADIGMS
from longweave.store import Store


def _is_draft_id(record_id: str) -> bool:
    return ":a" in record_id


async def stored_verdicts(store: Store, record_ids: set[str]
                          ) -> tuple[dict[str, dict[str, AxisVerdict]], dict[str, str]]:
    """Record id → axis → the judge's verdict, and record id → its paradigm. A sample id
    stands for the judgment that accepted it, else for its last judged draft."""
    draft_ids = {i for i in record_ids if _is_draft_id(i)}
    sample_ids = record_ids - draft_ids
    samples = {s["_id"]: s async for s in store.db.samples.find(
        {"_id": {"$in": sorted(sample_ids | {i.rpartition(":a")[0] for i in draft_ids})}},
        {"accepted_attempt": 1, "spec.paradigm": 1})}
    drafts = store.db.drafts.find(
        {"$or": [{"_id": {"$in": sorted(draft_ids)}},
                 {"sample_id": {"$in": sorted(sample_ids)}}],
         "judgment": {"$ne": None}},
        {"sample_id": 1, "attempt": 1, "judgment": 1})
    chosen: dict[str, dict[str, Any]] = {}
    async for draft in drafts:
        if draft["_id"] in draft_ids:
            chosen[draft["_id"]] = draft
        sample_id = draft["sample_id"]
        if sample_id in sample_ids:
            accepted = (samples.get(sample_id) or {}).get("accepted_attempt")
            best = chosen.get(sample_id)
            if accepted is not None:
                if draft["attempt"] == accepted:
                    chosen[sample_id] = draft
            elif best is None or draft["attempt"] > best["attempt"]:
                chosen[sample_id] = draft
    paradigms = {rid: samples[d["sample_id"]]["spec"]["paradigm"]
                 for rid, d in chosen.items() if d["sample_id"] in samples}
    return {rid: verdicts_of(d["judgment"]) for rid, d in chosen.items()}, paradigms


def rubric_thresholds(paradigms: set[str]) -> dict[str, int]:
    """Each axis's pass score from the paradigms' rubrics (an axis two rubrics set apart
    is an error: pass the score explicitly)."""
    thresholds: dict[str, int] = {}
    for name in sorted(paradigms):
        for axis, spec in load_rubric(PARADIGMS[name].rubric_path).axes.items():
            if thresholds.setdefault(axis, spec.min_score) != spec.min_score:
                raise ValueError(f"axis {axis!r} passes at different scores in the rubrics of "
                                 f"{', '.join(sorted(paradigms))}: give --pass-score")
    return thresholds


async def calibrate_labels(store: Store, labels: list[Label], pass_score: int | None = None
                           ) -> dict[str, Any]:
    verdicts, paradigms = await stored_verdicts(store, {label.record_id for label in labels})
    if pass_score is None:
        thresholds = rubric_thresholds(set(paradigms.values()))
    else:
        thresholds = {label.axis: pass_score for label in labels}
    return {**calibrate(labels, verdicts, thresholds), "thresholds": thresholds}
