"""MongoDB access for every service. Writes are idempotent: deterministic ids + upserts.

Collections
- scenarios     the scenario catalog (seeded from prompts/scenarios)
- runs          one document per run (the request, requested count, status; the LLM
                gateway's paid totals in ``llm_usage``, see llm/ledger.py)
- samples       one per sample: scenario snapshot, spec, current attempt, stage, history
- segments      generated segments (the long text lives here, not in messages)
- drafts        one stitched record per sample attempt, with its validation and judgment;
                a rejected one keeps ``rejected: {stage, reasons}`` (DPO exports pair them)
- records       accepted records, with full metadata (what exports read)
- dead_letters  bad inputs and samples out of attempts, with reasons
- llm_calls     one document per LLM call: usage, latency, model, prompt version, cost
- llm_cache     the LLM gateway's response cache, keyed by request hash (llm/cache.py)
- dedup_bands, dedup_signatures   the validator's near-duplicate index (validator/dedup.py)
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo import ASCENDING, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

log = logging.getLogger(__name__)

# A sample ends accepted, dead-lettered, or stopped (its run was cancelled or ran out of
# budget before the sample finished).
TERMINAL_STAGES = ("accepted", "dead_lettered", "stopped")
# How a run ends: every sample finished, or a stop (cancel, budget) drained it.
RUN_END_STATUS = {None: "complete", "cancelled": "cancelled", "budget": "budget_stopped"}
FINISHED_RUN_STATUSES = ("complete", "cancelled", "budget_stopped", "failed")


def now() -> datetime:
    return datetime.now(UTC)


def segment_id(sample_id: str, attempt: int, index: int) -> str:
    return f"{sample_id}:a{attempt}:s{index}"


def draft_id(sample_id: str, attempt: int) -> str:
    return f"{sample_id}:a{attempt}"


class Store:
    def __init__(self, uri: str, db_name: str) -> None:
        self.client: AsyncIOMotorClient = AsyncIOMotorClient(uri, tz_aware=True)
        self.db: AsyncIOMotorDatabase = self.client[db_name]

    def close(self) -> None:
        self.client.close()

    async def ping(self) -> bool:
        await self.db.command("ping")
        return True

    async def ensure_indexes(self) -> None:
        await self.db.runs.create_index("request_id", unique=True)
        await self.db.samples.create_index([("run_id", ASCENDING), ("stage", ASCENDING)])
        await self.db.drafts.create_index([("run_id", ASCENDING), ("sample_id", ASCENDING)])
        await self.db.records.create_index([("run_id", ASCENDING), ("sample_id", ASCENDING)])
        await self.db.dead_letters.create_index("run_id")
        await self.db.llm_calls.create_index([("run_id", ASCENDING), ("sample_id", ASCENDING)])

    # -- scenarios ---------------------------------------------------------------------
    async def find_scenarios(self, filters: dict[str, str]) -> list[dict[str, Any]]:
        cursor = self.db.scenarios.find(dict(filters)).sort("_id", ASCENDING)
        return await cursor.to_list(None)

    async def load_catalog_scenarios(self, scenarios: list[dict[str, Any]], version: int
                                     ) -> tuple[int, int]:
        """Make the shipped catalog's scenarios exactly `scenarios` (idempotent): upsert them,
        retire shipped ones no longer listed. User scenarios are left alone.
        Returns (loaded, retired)."""
        ids = [s["scenario_id"] for s in scenarios]
        ops = [UpdateOne({"_id": s["scenario_id"]},
                         {"$set": {**s, "source": "catalog", "catalog_version": version}},
                         upsert=True) for s in scenarios]
        if ops:
            await self.db.scenarios.bulk_write(ops, ordered=False)
        retired = await self.db.scenarios.delete_many({"source": "catalog", "_id": {"$nin": ids}})
        return len(ops), retired.deleted_count

    async def upsert_user_scenarios(self, scenarios: list[dict[str, Any]]) -> int:
        ops = [UpdateOne({"_id": s["scenario_id"]}, {"$set": {**s, "source": "user"}},
                         upsert=True) for s in scenarios]
        if ops:
            await self.db.scenarios.bulk_write(ops, ordered=False)
        return len(ops)

    async def scenario_sources(self, ids: list[str]) -> dict[str, str]:
        cursor = self.db.scenarios.find({"_id": {"$in": ids}}, {"source": 1})
        return {d["_id"]: d.get("source", "catalog") async for d in cursor}

    # -- runs --------------------------------------------------------------------------
    async def create_run(self, run: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Insert the run; if its run id or request id exists, return that one instead."""
        try:
            await self.db.runs.insert_one(run)
            return run, True
        except DuplicateKeyError:
            existing = await self.db.runs.find_one(
                {"$or": [{"_id": run["_id"]}, {"request_id": run["request_id"]}]}
            )
            assert existing is not None
            return existing, False

    async def get_run(self, run_id: str) -> dict[str, Any] | None:
        return await self.db.runs.find_one({"_id": run_id})

    async def update_run(self, run_id: str, fields: dict[str, Any]) -> None:
        await self.db.runs.update_one({"_id": run_id}, {"$set": fields})

    async def request_stop(self, run_id: str, reason: str) -> bool:
        """Ask a run to stop issuing new work (reason: "cancelled" or "budget"). In-flight
        work drains; samples that would need new work end as "stopped"."""
        result = await self.db.runs.update_one(
            {"_id": run_id, "stop_requested": None,
             "status": {"$nin": list(FINISHED_RUN_STATUSES)}},
            {"$set": {"stop_requested": reason, "stop_requested_at": now()}},
        )
        return result.modified_count == 1

    async def stop_requested(self, run_id: str) -> str | None:
        run = await self.db.runs.find_one({"_id": run_id}, {"stop_requested": 1})
        return run.get("stop_requested") if run else None

    async def complete_run_if_done(self, run_id: str) -> bool:
        """Mark the run finished once every sample has ended; True when this call did it."""
        run = await self.get_run(run_id)
        if run is None or run.get("status") in FINISHED_RUN_STATUSES or not run.get("fanned_out"):
            return False
        progress = await self.run_progress(run_id)
        ended = sum(progress.get(stage, 0) for stage in TERMINAL_STAGES)
        if ended < run["requested"]:
            return False
        status = RUN_END_STATUS[run.get("stop_requested")]
        result = await self.db.runs.update_one(
            {"_id": run_id, "status": {"$nin": list(FINISHED_RUN_STATUSES)}},
            {"$set": {
                "status": status, "completed_at": now(),
                "wall_s": (now() - run["created_at"]).total_seconds()
                if run.get("created_at") else None,
                "usage": await self.usage_of({"run_id": run_id}),
                **{stage: progress.get(stage, 0) for stage in TERMINAL_STAGES},
                "regenerated": progress.get("regenerated", 0),
            }},
        )
        if result.modified_count:
            log.info("run %s %s: %s", run_id, status, progress)
        return bool(result.modified_count)

    async def run_progress(self, run_id: str) -> dict[str, int]:
        """Samples per stage, plus how many needed more than one attempt."""
        pipeline = [
            {"$match": {"run_id": run_id}},
            {"$group": {"_id": "$stage", "n": {"$sum": 1}}},
        ]
        counts = {doc["_id"]: doc["n"] async for doc in self.db.samples.aggregate(pipeline)}
        counts["regenerated"] = await self.db.samples.count_documents(
            {"run_id": run_id, "attempt": {"$gt": 1}}
        )
        return counts

    # -- samples -----------------------------------------------------------------------
    async def create_samples(self, samples: list[dict[str, Any]]) -> None:
        ops = [UpdateOne({"_id": s["_id"]}, {"$setOnInsert": s}, upsert=True) for s in samples]
        if ops:
            await self.db.samples.bulk_write(ops, ordered=False)

    async def get_sample(self, sample_id: str) -> dict[str, Any] | None:
        return await self.db.samples.find_one({"_id": sample_id})

    async def set_stage(self, sample_id: str, attempt: int, stage: str) -> bool:
        """Move the sample to `stage` unless it has moved on to a later attempt or finished."""
        result = await self.db.samples.update_one(
            {"_id": sample_id, "attempt": attempt, "stage": {"$nin": list(TERMINAL_STAGES)}},
            {"$set": {"stage": stage, "updated_at": now()}},
        )
        return result.matched_count == 1

    async def record_segment(
        self, sample_id: str, attempt: int, index: int, seg_id: str, summary: str
    ) -> dict[str, Any] | None:
        return await self.db.samples.find_one_and_update(
            {"_id": sample_id, "attempt": attempt},
            {"$set": {f"segments.a{attempt}.s{index}": {"id": seg_id, "summary": summary}}},
            return_document=ReturnDocument.AFTER,
        )

    async def begin_attempt(
        self,
        sample_id: str,
        failed_attempt: int,
        redo_indexes: list[int],
        feedback: list[str],
        history_entry: dict[str, Any],
    ) -> dict[str, Any] | None:
        """Move a sample from `failed_attempt` to the next one (idempotent on redelivery).

        Returns the sample after the move, or None when the request is stale (the sample
        is already past the next attempt or finished)."""
        nxt = failed_attempt + 1
        moved = await self.db.samples.find_one_and_update(
            {"_id": sample_id, "attempt": failed_attempt,
             "stage": {"$nin": list(TERMINAL_STAGES)}},
            {
                "$set": {"attempt": nxt, "redo_indexes": redo_indexes, "feedback": feedback,
                         "stage": "generating", "updated_at": now()},
                "$push": {"history": history_entry},
            },
            return_document=ReturnDocument.AFTER,
        )
        if moved is not None:
            return moved
        # Redelivered after the move: carry on with the attempt already begun.
        return await self.db.samples.find_one(
            {"_id": sample_id, "attempt": nxt, "stage": {"$nin": list(TERMINAL_STAGES)}}
        )

    async def finish_sample(self, sample_id: str, stage: str, fields: dict[str, Any]) -> bool:
        """Move a sample to a terminal stage; False if it had already finished (a redelivery
        or a late duplicate), so callers count each outcome once."""
        result = await self.db.samples.update_one(
            {"_id": sample_id, "stage": {"$nin": list(TERMINAL_STAGES)}},
            {"$set": {"stage": stage, "updated_at": now(), **fields}},
        )
        return result.modified_count == 1

    async def stop_unpublished_samples(self, run_id: str, from_index: int, reason: str) -> int:
        """End a stopped run's samples that were never published (index ≥ `from_index`,
        still queued) as "stopped", in one write."""
        result = await self.db.samples.update_many(
            {"run_id": run_id, "index": {"$gte": from_index}, "stage": "queued"},
            {"$set": {"stage": "stopped", "stopped_reason": reason, "updated_at": now()}},
        )
        return result.modified_count

    # -- segments, drafts, records -----------------------------------------------------
    async def get_segment(self, seg_id: str) -> dict[str, Any] | None:
        return await self.db.segments.find_one({"_id": seg_id})

    async def get_segments(self, seg_ids: list[str]) -> dict[str, dict[str, Any]]:
        return {d["_id"]: d async for d in self.db.segments.find({"_id": {"$in": seg_ids}})}

    async def save_segment(self, doc: dict[str, Any]) -> None:
        await self.db.segments.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def save_draft(self, doc: dict[str, Any]) -> None:
        await self.db.drafts.update_one({"_id": doc["_id"]}, {"$set": doc}, upsert=True)

    async def get_draft(self, d_id: str) -> dict[str, Any] | None:
        return await self.db.drafts.find_one({"_id": d_id})

    async def update_draft(self, d_id: str, fields: dict[str, Any]) -> None:
        await self.db.drafts.update_one({"_id": d_id}, {"$set": fields})

    async def reject_draft(self, d_id: str, stage: str, reasons: list[str]) -> None:
        """Keep a rejected draft with why it was rejected (DPO exports pair it later)."""
        await self.db.drafts.update_one(
            {"_id": d_id}, {"$set": {"rejected": {"stage": stage, "reasons": reasons}}})

    async def drafts_of_sample(self, sample_id: str) -> list[dict[str, Any]]:
        return await self.db.drafts.find({"sample_id": sample_id}).sort("attempt").to_list(None)

    async def upsert_record(self, doc: dict[str, Any]) -> None:
        await self.db.records.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    def records_of_run(self, run_id: str):  # noqa: ANN201 - a motor cursor
        return self.db.records.find({"run_id": run_id}).sort("_id", ASCENDING)

    async def save_dead_letter(self, doc: dict[str, Any]) -> None:
        await self.db.dead_letters.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    # -- LLM call accounting -----------------------------------------------------------
    async def record_llm_call(self, doc: dict[str, Any]) -> None:
        await self.db.llm_calls.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def llm_seconds_of(self, match: dict[str, Any]) -> float:
        pipeline = [{"$match": match}, {"$group": {"_id": None, "s": {"$sum": "$latency_s"}}}]
        async for doc in self.db.llm_calls.aggregate(pipeline):
            return float(doc["s"])
        return 0.0

    async def usage_of(self, match: dict[str, Any]) -> dict[str, int]:
        pipeline = [
            {"$match": match},
            {"$group": {"_id": None,
                        "prompt_tokens": {"$sum": "$usage.prompt_tokens"},
                        "completion_tokens": {"$sum": "$usage.completion_tokens"},
                        "calls": {"$sum": 1}}},
        ]
        async for doc in self.db.llm_calls.aggregate(pipeline):
            doc.pop("_id")
            return doc
        return {"prompt_tokens": 0, "completion_tokens": 0, "calls": 0}
