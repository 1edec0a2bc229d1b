"""Pure record building: what an accepted record stores (and exports read)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from longweave.contracts import AcceptedSample, Record
from longweave.contracts.messages import SCHEMA_VERSION
from longweave.contracts.records import Draft, Sample
from longweave.llm.tokens import estimate_tokens
from longweave.paradigms import paradigm_of


def build_record(
    accepted: AcceptedSample,
    sample: Sample,
    draft: Draft,
    usage: dict[str, int],
    llm_seconds: float,
    accepted_at: datetime,
) -> dict[str, Any]:
    judgment = accepted.judgment
    paradigm = paradigm_of(sample)
    content = draft.content(paradigm.content_keys)
    parts = paradigm.parts(content, paradigm.params_of(sample))
    record = {
        "_id": accepted.sample_id,
        "schema_version": SCHEMA_VERSION,
        "run_id": accepted.run_id,
        "sample_id": accepted.sample_id,
        "paradigm": sample.spec.paradigm,
        "objective": sample.spec.objective,
        **content,
        "scenario_id": sample.scenario_id,
        "scenario": sample.scenario,
        "noise": sample.noise,
        "layers": sample.layers,
        "sampled": sample.sampled,
        "spec": sample.spec,
        "models": {"generator": draft.models, "judge": judgment.model},
        "prompt_versions": {**draft.prompt_versions, "judge": judgment.prompt_version},
        "tokens": {
            "record_estimate": sum(estimate_tokens(p.content) for p in parts
                                   if p.role != "system"),
            "prompt": usage["prompt_tokens"],
            "completion": usage["completion_tokens"],
            "llm_calls": usage["calls"],
        },
        "timings": {
            "created_at": sample.created_at,
            "accepted_at": accepted_at,
            "wall_s": (accepted_at - sample.created_at).total_seconds(),
            "llm_s": llm_seconds,
        },
        "attempts": accepted.attempt,
        "history": sample.history,
        "validation": draft.validation or {},
        "scores": {k: v.model_dump() for k, v in judgment.scores.items()},
        "draft_id": accepted.draft_id,
    }
    # Checked against the stored contract (contracts/schemas/record.v2.json) before it is.
    return Record.model_validate(record).model_dump(by_alias=True)
