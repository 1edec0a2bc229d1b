"""Samples as the sampler stores them, for tests of the stages' logic without a store:
a `Sample` with a spec of the paradigm's params (defaults filled) and the fields a test
names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from longweave.contracts import Judgment, SampleSpec
from longweave.contracts.records import Draft, Sample
from longweave.paradigms import PARADIGMS

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def spec_for(paradigm: str = "conversation", params: dict[str, Any] | None = None,
             **common: Any) -> SampleSpec:
    chosen = PARADIGMS[paradigm]
    typed = chosen.parse_params(params or {})
    return SampleSpec(paradigm=paradigm, params=typed.model_dump(mode="json"),
                      units=chosen.units(typed), **common)


def make_sample(sample_id: str = "run-1-000000", paradigm: str = "conversation",
                params: dict[str, Any] | None = None, spec: SampleSpec | None = None,
                **fields: Any) -> Sample:
    run_id = sample_id.rpartition("-")[0] or "run-1"
    return Sample.model_validate({
        "_id": sample_id, "run_id": run_id, "index": int(sample_id.rpartition("-")[2] or 0),
        "scenario_id": "scn-test", "scenario": {"scenario_id": "scn-test"}, "sampled": {},
        "combination_id": "c0", "spec": spec or spec_for(paradigm, params),
        "created_at": CREATED, **fields})


def make_draft(content: dict[str, Any], draft_id: str = "run-1-000000:a1",
               judgment: dict[str, Any] | None = None, **fields: Any) -> Draft:
    """A draft of `content`; `judgment`: the judge's verdict fields to set (passed,
    failed_axes), the rest filled."""
    sample_id = draft_id.partition(":")[0]
    verdict = None if judgment is None else Judgment.model_validate({
        "run_id": "run-1", "sample_id": sample_id, "attempt": 1, "draft_id": draft_id,
        "passed": False, "scores": {}, "model": "test", "prompt_version": "v", **judgment})
    return Draft.assembled(content, **{
        "_id": draft_id, "run_id": "run-1", "sample_id": sample_id, "attempt": 1,
        "segment_ids": [f"{draft_id}:s0"], "finish_reasons": ["stop"], "models": ["test"],
        "prompt_versions": {"segment": "v"}, "generation_usage": {}, "created_at": CREATED,
        "judgment": verdict, **fields})
