"""MongoDB access for every service. Writes are idempotent: deterministic ids + upserts.

Collections
- scenarios     the scenario catalog (seeded from prompts/scenarios)
- runs          one document per run (the request, requested count, status; samples
                ended per terminal stage and regenerated, counted as they happen; the
                LLM gateway's paid totals in ``llm_usage``, see llm/ledger.py)
- samples       one per sample: scenario snapshot, spec, current attempt, stage, history
- segments      generated segments (the long text lives here, not in messages)
- drafts        one stitched record per sample attempt, with its validation and judgment
                (written together by the judge, or with the rejection by the validator);
                a rejected one keeps ``rejected: {stage, reasons}`` (DPO exports pair them)
- records       accepted records, with full metadata (what exports read)
- dead_letters  bad inputs and samples out of attempts, with reasons
- published_requests  requests as they were published, before the sampler reads them
                (runs.py: what `status` and `runs` know of a run not started yet)
- llm_calls     one document per completed LLM call, keyed by request hash: what it served
                (run, sample, attempt, purpose, prompt version), usage, latency, cost and
                the reply; also the LLM gateway's response cache (llm/cache.py)
- dedup_signatures  the validator's near-duplicate index: one document per record, its
                MinHash signature and LSH band keys (validator/dedup.py)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo import ASCENDING, ReplaceOne, UpdateOne
from pymongo.errors import DuplicateKeyError, OperationFailure
from pymongo.monitoring import CommandListener

from longweave.contracts.records import AttemptFailure, Draft, Sample, SegmentRef
from longweave.observability import StoreOperationCounter
from longweave.store_batches import CollectionBatches

log = logging.getLogger(__name__)

# A sample ends accepted, dead-lettered, or stopped (its run was cancelled or ran out of
# budget before the sample finished).
TERMINAL_STAGES = ("accepted", "dead_lettered", "stopped")
# Where an unfinished sample is. Queries name these rather than "not terminal": SecantusDB
# answers a $nin with a collection scan, an $in through the (run_id, stage) index.
ACTIVE_STAGES = ("queued", "generating", "checking")
# Kept on the run document ($inc as samples end or begin a second attempt), so neither
# completion nor status needs a pass over the run's samples.
RUN_COUNTERS = (*TERMINAL_STAGES, "regenerated")
# What deciding and recording a run's completion reads from its document.
_PROGRESS_FIELDS = ("requested", "fanned_out", "status", "stop_requested", "created_at",
                    *RUN_COUNTERS)
# How a run ends: every sample finished, or a stop (cancel, budget) drained it.
RUN_END_STATUS = {None: "complete", "cancelled": "cancelled", "budget": "budget_stopped"}
FINISHED_RUN_STATUSES = ("complete", "cancelled", "budget_stopped", "failed")
# The samples index before (run_id, stage, updated_at), which serves all its queries.
_SUPERSEDED_SAMPLES_INDEX = "run_id_1_stage_1"


def now() -> datetime:
    return datetime.now(UTC)


def segment_id(sample_id: str, attempt: int, index: int) -> str:
    return f"{sample_id}:a{attempt}:s{index}"


def draft_id(sample_id: str, attempt: int) -> str:
    return f"{sample_id}:a{attempt}"


class Store:
    def __init__(self, uri: str, db_name: str, batch_linger_s: float = 0.0,
                 listeners: Sequence[CommandListener] = (),
                 server_selection_timeout_ms: int | None = None) -> None:
        # A command line gives up on an unreachable server in seconds; services wait longer.
        timeout = {} if server_selection_timeout_ms is None else \
            {"serverSelectionTimeoutMS": server_selection_timeout_ms}
        self.client: AsyncIOMotorClient = AsyncIOMotorClient(
            uri, tz_aware=True, event_listeners=[StoreOperationCounter(), *listeners],
            **_retryable_writes_option(uri), **timeout)
        self.db: AsyncIOMotorDatabase = self.client[db_name]
        self._batch_linger_s = batch_linger_s
        self._batches: dict[str, CollectionBatches] = {}

    def batches(self, collection: str) -> CollectionBatches:
        """The collection's finds by id and writes, merged with concurrent ones (see
        store_batches.py): what a handler reads or writes by ``_id`` goes through here."""
        batches = self._batches.get(collection)
        if batches is None:
            batches = self._batches[collection] = CollectionBatches(
                self.db[collection], self._batch_linger_s)
        return batches

    def close(self) -> None:
        self.client.close()

    async def ping(self) -> bool:
        await self.db.command("ping")
        return True

    async def ensure_indexes(self) -> None:
        await self.db.runs.create_index("request_id", unique=True)
        # updated_at: when a sample last moved, which for an ended sample is when it ended
        # (the recent completions a run's throughput is measured on). It changes with the
        # stage, so the longer key costs the writes nothing more.
        await self.db.samples.create_index([("run_id", ASCENDING), ("stage", ASCENDING),
                                            ("updated_at", ASCENDING)])
        with contextlib.suppress(OperationFailure):  # the index it replaces, if still there
            await self.db.samples.drop_index(_SUPERSEDED_SAMPLES_INDEX)
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
            # Two lookups, not an $or: SecantusDB scans the collection for an $or.
            existing = await self.db.runs.find_one({"_id": run["_id"]}) or \
                await self.db.runs.find_one({"request_id": run["request_id"]})
            assert existing is not None
            return existing, False

    async def get_run(self, run_id: str) -> dict[str, Any] | None:
        return await self.batches("runs").find_by_id(run_id)

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
        run = await self.get_run(run_id)
        return run.get("stop_requested") if run else None

    async def complete_run_if_done(self, run_id: str) -> bool:
        """Mark the run finished once every sample has ended; True when this call did it.

        The run's counters decide at once. When they fall short, the samples are asked
        (one indexed lookup): a crash between a sample's end and its count loses the
        count, and the redelivery that follows calls this to finish the run anyway."""
        run = await self.db.runs.find_one({"_id": run_id}, _PROGRESS_FIELDS)
        if run is None or not _awaiting_completion(run):
            return False
        if _ended(run) >= run["requested"]:
            return await self._complete(run, _counted(run))
        unfinished = await self.db.samples.find_one(
            {"run_id": run_id, "stage": {"$in": list(ACTIVE_STAGES)}}, {"_id": 1})
        if unfinished is not None:
            return False
        return await self._complete(run, await self._recount(run_id))

    async def unfinished_samples(self, run_id: str) -> dict[str, int]:
        """The run's samples per unfinished stage (finished ones are counted on the run);
        the cost follows the work in flight, not the run's size."""
        pipeline = [
            {"$match": {"run_id": run_id, "stage": {"$in": list(ACTIVE_STAGES)}}},
            {"$group": {"_id": "$stage", "n": {"$sum": 1}}},
        ]
        return {doc["_id"]: doc["n"] async for doc in self.db.samples.aggregate(pipeline)}

    async def _complete(self, run: dict[str, Any], counts: dict[str, int]) -> bool:
        status = RUN_END_STATUS[run.get("stop_requested")]
        usage, _ = await self.llm_usage_of(run["_id"])
        result = await self.db.runs.update_one(
            {"_id": run["_id"], "status": {"$nin": list(FINISHED_RUN_STATUSES)}},
            {"$set": {
                "status": status, "completed_at": now(),
                "wall_s": (now() - run["created_at"]).total_seconds()
                if run.get("created_at") else None,
                "usage": usage, **counts,
            }},
        )
        if result.modified_count:
            log.info("run %s %s: %s", run["_id"], status, counts)
        return bool(result.modified_count)

    async def _recount(self, run_id: str) -> dict[str, int]:
        """The counters from the samples themselves (a full pass over the run, once)."""
        pipeline = [
            {"$match": {"run_id": run_id}},
            {"$group": {"_id": "$stage", "n": {"$sum": 1},
                        "regenerated": {"$sum": {"$cond": [{"$gt": ["$attempt", 1]}, 1, 0]}}}},
        ]
        counts = dict.fromkeys(RUN_COUNTERS, 0)
        async for doc in self.db.samples.aggregate(pipeline):
            if doc["_id"] in TERMINAL_STAGES:
                counts[doc["_id"]] = doc["n"]
            counts["regenerated"] += doc["regenerated"]
        return counts

    # -- samples -----------------------------------------------------------------------
    async def create_samples(self, samples: Sequence[Sample]) -> None:
        """Insert the samples; ones that exist (a redelivered fan-out) are left as they are."""
        batches = self.batches("samples")
        await asyncio.gather(*(batches.insert_once(sample.document()) for sample in samples))

    async def save_contexts(self, contexts: list[dict[str, Any]]) -> None:
        """Samples' context texts (documents source), before the samples that name them;
        once each ({_id: sample id, run_id, text})."""
        batches = self.batches("contexts")
        await asyncio.gather(*(batches.insert_once(doc) for doc in contexts))

    async def materials_of(self, context_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The material stored with each existing context (a redelivered request reuses it,
        whatever the corpus holds now)."""
        cursor = self.db.contexts.find({"_id": {"$in": context_ids}}, {"material": 1})
        return {doc["_id"]: doc["material"] async for doc in cursor}

    async def get_context(self, context_id: str) -> str:
        doc = await self.batches("contexts").find_by_id(context_id)
        if doc is None:
            raise LookupError(f"context {context_id} is not in the store")
        return str(doc["text"])

    async def save_shared_outputs(self, docs: list[dict[str, Any]]) -> None:
        """What records share (`Paradigm.shared_outputs`), once each: its id names what it
        is (e.g. a book's outlines by book, model and prompt versions)."""
        batches = self.batches("shared_outputs")
        await asyncio.gather(*(batches.insert_once({**doc, "created_at": now()})
                               for doc in docs))

    async def get_shared_outputs(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        found = self.db.shared_outputs.find({"_id": {"$in": ids}})
        return {doc["_id"]: doc async for doc in found}

    async def get_sample(self, sample_id: str) -> Sample | None:
        doc = await self.batches("samples").find_by_id(sample_id)
        return None if doc is None else Sample.model_validate(doc)

    async def sample_to_start(self, sample_id: str) -> Sample | None:
        """The sample if it is at the start of its first attempt (queued, or generating after
        an earlier delivery); None otherwise (a stale scenario, or a sample not in the
        store). Nothing is written: its first unit moves it to "generating"."""
        sample = await self.get_sample(sample_id)
        started = sample is not None and sample.attempt == 1 and \
            sample.stage in ("queued", "generating")
        return sample if started else None

    # Samples are written with update_one and read back with find_one, never with
    # find_one_and_update: SecantusDB (the local store) scans the whole collection for
    # every findAndModify that matches, so its cost would grow with every stored sample.
    async def record_segment(self, sample_id: str, attempt: int, index: int,
                             ref: SegmentRef, stage: str | None = None) -> None:
        """Note the attempt's segment `ref` on the sample (and move it to `stage`, when
        given), unless the sample has moved on to another attempt or finished."""
        fields: dict[str, Any] = {f"segments.a{attempt}.s{index}": ref.model_dump()}
        if stage is not None:
            fields |= {"stage": stage, "updated_at": now()}
        await self.batches("samples").write(UpdateOne(
            {"_id": sample_id, "attempt": attempt, "stage": {"$in": list(ACTIVE_STAGES)}},
            {"$set": fields}))

    async def begin_attempt(
        self,
        sample_id: str,
        failed_attempt: int,
        redo_indexes: list[int],
        feedback: list[str],
        failure: AttemptFailure,
        origin: str = "",
    ) -> Sample | None:
        """Move a sample from `failed_attempt` to the next one (idempotent on redelivery).

        Returns the sample after the move, or None when the request is stale: the sample is
        already past the next attempt or finished, or the next attempt was begun by another
        request (`origin` tells requests apart: several units of one attempt may fail at
        once, and only the first failure begins the next attempt)."""
        nxt = failed_attempt + 1
        move = await self.db.samples.update_one(
            {"_id": sample_id, "attempt": failed_attempt,
             "stage": {"$nin": list(TERMINAL_STAGES)}},
            {
                "$set": {"attempt": nxt, "redo_indexes": redo_indexes, "feedback": feedback,
                         "stage": "generating", "begun_by": origin, "updated_at": now()},
                "$push": {"history": failure.model_dump()},
            },
        )
        # Also what a redelivery after the move finds: the attempt already begun.
        sample = await self.get_sample(sample_id)
        if sample is None or sample.attempt != nxt or sample.stage in TERMINAL_STAGES or \
                sample.begun_by != origin:
            return None
        if move.modified_count and failed_attempt == 1:
            await self.batches("runs").increment(sample.run_id, {"regenerated": 1})
        return sample

    async def finish_sample(self, sample_id: str, stage: str, fields: dict[str, Any],
                            run_id: str | None = None) -> bool:
        """Move a sample of `run_id` (read from the sample when not given) to a terminal
        stage, count it on its run and complete the run when it was the last one. False if
        it had already finished (a redelivery or a late duplicate), so callers count each
        outcome once; they call `complete_run_if_done` then, in case the earlier delivery
        died before its count."""
        if run_id is None:
            sample = await self.get_sample(sample_id)
            if sample is None:
                return False
            run_id = sample.run_id
        result = await self.db.samples.update_one(
            {"_id": sample_id, "run_id": run_id, "stage": {"$nin": list(TERMINAL_STAGES)}},
            {"$set": {"stage": stage, "updated_at": now(), **fields}},
        )
        if result.modified_count != 1:
            return False
        await self.batches("runs").increment(run_id, {stage: 1})
        run = await self.get_run(run_id)
        if run is not None and _awaiting_completion(run) and _ended(run) >= run["requested"]:
            await self._complete(run, _counted(run))
        return True

    async def stop_unpublished_samples(self, run_id: str, from_index: int, reason: str) -> int:
        """End a stopped run's samples that were never published (index ≥ `from_index`,
        still queued) as "stopped", in one write, and count them on the run."""
        result = await self.db.samples.update_many(
            {"run_id": run_id, "index": {"$gte": from_index}, "stage": "queued"},
            {"$set": {"stage": "stopped", "stopped_reason": reason, "updated_at": now()}},
        )
        if result.modified_count:
            await self.db.runs.update_one({"_id": run_id},
                                          {"$inc": {"stopped": result.modified_count}})
        return result.modified_count

    # -- segments, drafts, records -----------------------------------------------------
    async def get_segment(self, seg_id: str) -> dict[str, Any] | None:
        return await self.batches("segments").find_by_id(seg_id)

    async def get_segments(self, seg_ids: list[str]) -> dict[str, dict[str, Any]]:
        batches = self.batches("segments")
        found = await asyncio.gather(*(batches.find_by_id(s) for s in seg_ids))
        return {s: doc for s, doc in zip(seg_ids, found, strict=True) if doc is not None}

    async def save_segment(self, doc: dict[str, Any]) -> None:
        """Store a segment once: a redelivered task writes the same one (from the response
        cache, or, with the cache off, the generator finds it stored and reuses it)."""
        await self.batches("segments").insert_once(doc)

    async def save_draft(self, draft: Draft) -> None:
        """Store a stitched draft once (a redelivery stitches the same stored segments)."""
        await self.batches("drafts").insert_once(draft.document())

    async def get_draft(self, d_id: str) -> Draft | None:
        doc = await self.batches("drafts").find_by_id(d_id)
        return None if doc is None else Draft.model_validate(doc)

    async def update_draft(self, d_id: str, fields: dict[str, Any]) -> None:
        await self.batches("drafts").write(UpdateOne({"_id": d_id}, {"$set": fields}))

    async def reject_draft(self, d_id: str, stage: str, reasons: list[str],
                           fields: dict[str, Any]) -> None:
        """Keep a rejected draft with why it was rejected (DPO exports pair it later), in
        the same write as the verdict's `fields`."""
        await self.update_draft(d_id, {**fields,
                                       "rejected": {"stage": stage, "reasons": reasons}})

    async def drafts_of_sample(self, run_id: str, sample_id: str) -> list[Draft]:
        cursor = self.db.drafts.find({"run_id": run_id, "sample_id": sample_id})
        return [Draft.model_validate(doc) for doc in await cursor.sort("attempt").to_list(None)]

    async def save_record(self, doc: dict[str, Any]) -> None:
        """Store an accepted record once (a redelivery builds the same record)."""
        await self.batches("records").insert_once(doc)

    def records_of_run(self, run_id: str):  # noqa: ANN201 - a motor cursor
        # In (run_id, sample_id) index order; a record's _id is its sample id.
        return self.db.records.find({"run_id": run_id}).sort("sample_id", ASCENDING)

    async def save_dead_letter(self, doc: dict[str, Any]) -> None:
        await self.batches("dead_letters").write(
            ReplaceOne({"_id": doc["_id"]}, doc, upsert=True))

    # -- LLM call accounting -----------------------------------------------------------
    async def llm_usage_of(self, run_id: str, sample_id: str | None = None
                           ) -> tuple[dict[str, int], float]:
        """(tokens and calls, seconds) of the recorded LLM calls of a run or of one of its
        samples, through the (run_id, sample_id) index."""
        match = {"run_id": run_id} if sample_id is None else \
            {"run_id": run_id, "sample_id": sample_id}
        pipeline = [
            {"$match": match},
            {"$group": {"_id": None,
                        "prompt_tokens": {"$sum": "$usage.prompt_tokens"},
                        "completion_tokens": {"$sum": "$usage.completion_tokens"},
                        "calls": {"$sum": 1},
                        "seconds": {"$sum": "$latency_s"}}},
        ]
        async for doc in self.db.llm_calls.aggregate(pipeline):
            doc.pop("_id")
            return doc, float(doc.pop("seconds"))
        return {"prompt_tokens": 0, "completion_tokens": 0, "calls": 0}, 0.0


def _retryable_writes_option(uri: str) -> dict[str, bool]:
    """Retryable writes off unless the URI says otherwise. Every write here is idempotent
    or guarded, and a handler that fails is delivered again, so the driver's one retry adds
    little; while SecantusDB (the local store) keeps each retryable write for 30 minutes
    (up to 10,000) and scans and sorts them all on every write: 1.8 ms per write becomes
    32 ms once it has served 10,000 writes."""
    options = parse_qs(uri.partition("?")[2])
    if any(name.lower() == "retrywrites" for name in options):
        return {}
    return {"retryWrites": False}


def _awaiting_completion(run: dict[str, Any]) -> bool:
    return bool(run.get("fanned_out")) and run.get("status") not in FINISHED_RUN_STATUSES


def _ended(run: dict[str, Any]) -> int:
    return sum(run.get(stage, 0) for stage in TERMINAL_STAGES)


def _counted(run: dict[str, Any]) -> dict[str, int]:
    return {counter: run.get(counter, 0) for counter in RUN_COUNTERS}
