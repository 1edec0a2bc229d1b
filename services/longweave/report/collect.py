"""What the report reads of a run in MongoDB (wiring): the run, its samples, drafts (their
verdicts, not their content), records, LLM calls (their accounting, not their replies) and
dead letters, each through the collection's (run_id, …) index; and a few whole drafts, the
examples of the top rejection reasons."""

from __future__ import annotations

from typing import Any

from longweave.report.figures import RunDocuments
from longweave.store import Store

SAMPLE_FIELDS = ("index", "stage", "attempt", "accepted_attempt", "history", "sampled",
                 "layers", "spec", "created_at", "accepted_at", "dead_letter_id",
                 "stopped_reason")
DRAFT_FIELDS = ("sample_id", "attempt", "validation", "judgment", "rejected", "created_at",
                "generation_usage", "finish_reasons")
CALL_FIELDS = ("sample_id", "attempt", "purpose", "role", "model", "usage", "cost_usd",
               "latency_s", "usage_estimated", "created_at")
DEAD_LETTER_FIELDS = ("sample_id", "kind", "reasons", "history", "created_at")


def _projection(fields: tuple[str, ...]) -> dict[str, int]:
    return dict.fromkeys(fields, 1)


async def read_run(store: Store, run_id: str) -> RunDocuments:
    """The run's documents; ValueError when there is no such run."""
    run = await store.db.runs.find_one({"_id": run_id})
    if run is None:
        raise ValueError(f"no run {run_id}")
    match = {"run_id": run_id}
    db = store.db
    return RunDocuments(
        run=run,
        samples=await db.samples.find(match, _projection(SAMPLE_FIELDS))
        .sort("_id", 1).to_list(None),
        drafts=await db.drafts.find(match, _projection(DRAFT_FIELDS)).to_list(None),
        records=await store.records_of_run(run_id).to_list(None),
        llm_calls=await db.llm_calls.find(match, _projection(CALL_FIELDS)).to_list(None),
        dead_letters=await db.dead_letters.find(match, _projection(DEAD_LETTER_FIELDS))
        .to_list(None),
    )


async def read_drafts(store: Store, draft_ids: list[str]) -> list[dict[str, Any]]:
    """Whole drafts (with their content), by id."""
    if not draft_ids:
        return []
    return await store.db.drafts.find({"_id": {"$in": draft_ids}}).to_list(None)
