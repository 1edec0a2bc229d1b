"""A record's store work does not grow with the data already stored. On a store holding
many earlier runs, every read that a record's path (and a status poll) issues either
addresses one document by _id or uses an index and examines only its own run's documents
(the server's explain); every write addresses one document by _id, and none is a
findAndModify (SecantusDB, the local store, scans the whole collection for each)."""

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import monitoring

from longweave.client import run_status
from longweave.contracts.records import AttemptFailure, SegmentRef
from longweave.store import Store
from longweave.validator.dedup import MongoLSHIndex
from longweave.validator.minhash import band_hashes, signature
from support.samples import make_draft, make_sample

pytestmark = pytest.mark.integration

EARLIER_RUNS, SAMPLES_PER_RUN = 20, 50
RUN = "run-now"
READS = ("find", "aggregate", "count", "distinct")


class Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.seen.append(copy.deepcopy(dict(event.command)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def store_earlier_runs(store: Store) -> None:
    created = datetime.now(UTC)
    ids = [(f"earlier-{r}", f"earlier-{r}-{i:06d}")
           for r in range(EARLIER_RUNS) for i in range(SAMPLES_PER_RUN)]
    sig = signature("an earlier record of an earlier run " * 20)
    db = store.db
    await db.samples.insert_many([{"_id": s, "run_id": r, "stage": "accepted", "attempt": 1,
                                   "created_at": created} for r, s in ids])
    await db.llm_calls.insert_many([{"_id": f"{s}:{k}", "run_id": r, "sample_id": s,
                                     "usage": {"prompt_tokens": 1, "completion_tokens": 1},
                                     "latency_s": 0.1} for r, s in ids for k in range(4)])
    await db.drafts.insert_many([{"_id": f"{s}:a1", "run_id": r, "sample_id": s, "attempt": 1}
                                 for r, s in ids])
    await db.records.insert_many([{"_id": s, "run_id": r, "sample_id": s} for r, s in ids])
    await db.dedup_signatures.insert_many([
        {"_id": f"{r}:{s}", "run_id": r, "sample_id": s, "sig": sig, "bands": band_hashes(sig)}
        for r, s in ids])


async def one_run(store: Store) -> None:
    """Two samples through the store calls of their path: one accepted at its first
    attempt, one accepted at its second; status polled on the way; exported."""
    dedup = MongoLSHIndex(store)
    for n, sample_id in enumerate((f"{RUN}-000000", f"{RUN}-000001")):
        await store.sample_to_start(sample_id)
        await store.stop_requested(RUN)
        if n == 1:
            await store.begin_attempt(sample_id, 1, [], ["too short"], AttemptFailure(
                attempt=1, stage="validator", reasons=["too short"], at="now"))
        attempt = n + 1
        for index in range(2):
            seg_id = f"{sample_id}:a{attempt}:s{index}"
            await store.get_segment(seg_id)
            await store.save_segment({"_id": seg_id, "run_id": RUN, "turns": []})
            await store.get_sample(sample_id)
            await store.record_segment(sample_id, attempt, index, SegmentRef(id=seg_id),
                                       stage="checking" if index == 1 else "generating")
        d_id = f"{sample_id}:a{attempt}"
        await store.get_segments([f"{d_id}:s0", f"{d_id}:s1"])
        await store.save_draft(make_draft({"messages": []}, d_id, run_id=RUN,
                                          attempt=attempt))
        await store.get_draft(d_id)
        sig = signature(f"the dialogue of sample {n} " * 30)
        await dedup.find_duplicate(RUN, sample_id, sig)
        await dedup.add(RUN, sample_id, sig)
        await store.update_draft(d_id, {"judgment": make_draft(
            {}, d_id, judgment={"passed": True}).judgment.model_dump(mode="json")})
        await run_status(store, RUN)
        await store.llm_usage_of(RUN, sample_id)
        await store.save_record({"_id": sample_id, "run_id": RUN, "sample_id": sample_id})
        await store.finish_sample(sample_id, "accepted", {}, run_id=RUN)
    await store.complete_run_if_done(RUN)  # what a redelivery does
    await store.drafts_of_sample(RUN, f"{RUN}-000001")
    await store.records_of_run(RUN).to_list(None)


def point_lookup(query: dict[str, Any]) -> bool:
    return isinstance(query.get("_id"), str)


def plan_stages(explained: Any) -> list[str]:
    if isinstance(explained, dict):
        own = [explained["stage"]] if isinstance(explained.get("stage"), str) else []
        return own + [s for v in explained.values() for s in plan_stages(v)]
    if isinstance(explained, list):
        return [s for v in explained for s in plan_stages(v)]
    return []


def docs_examined(explained: Any) -> list[int]:
    if isinstance(explained, dict):
        own = [explained["totalDocsExamined"]] if "totalDocsExamined" in explained else []
        return own + [n for v in explained.values() for n in docs_examined(v)]
    if isinstance(explained, list):
        return [n for v in explained for n in docs_examined(v)]
    return []


async def test_a_records_store_work_touches_only_its_own_documents(store, servers):
    await MongoLSHIndex(store).ensure_indexes()
    await store_earlier_runs(store)
    await store.create_run({"_id": RUN, "request_id": "req-now", "requested": 2,
                            "fanned_out": True, "status": "running"})
    await store.create_samples([make_sample(f"{RUN}-00000{i}") for i in range(2)])
    # The LLM gateway records its calls (llm/cache.py).
    await store.db.llm_calls.insert_many([
        {"_id": f"call-{i}", "run_id": RUN, "sample_id": f"{RUN}-00000{i % 2}",
         "usage": {"prompt_tokens": 3, "completion_tokens": 2}, "latency_s": 0.2}
        for i in range(6)])
    commands = Commands()
    watched = Store(servers.mongodb_uri, store.db.name, listeners=[commands])
    try:
        await one_run(watched)
    finally:
        watched.close()
    run = await store.get_run(RUN)
    assert (run["status"], run["accepted"], run["regenerated"]) == ("complete", 2, 1)

    names = [next(iter(c)) for c in commands.seen]
    assert "findAndModify" not in names
    explained = set()
    for command in commands.seen:
        name = next(iter(command))
        if name in ("update", "delete"):
            statements = command.get("updates") or command.get("deletes")
            assert all(point_lookup(s["q"]) for s in statements), command
        if name not in READS:
            continue
        query = command.get("filter") or command.get("query") or \
            command.get("pipeline", [{}])[0].get("$match", {})
        if point_lookup(query):
            continue
        own = {k: v for k, v in command.items() if not k.startswith("$") and k != "lsid"}
        plan = await store.db.command({"explain": own, "verbosity": "executionStats"})
        stages = plan_stages(plan)
        assert "IXSCAN" in stages and "COLLSCAN" not in stages, (command, stages)
        assert max(docs_examined(plan), default=0) <= 8, (command, plan)
        explained.add(command[name])
    # Finds by id (merged into `$in` lookups: store_batches.py), stitching, status, LLM
    # usage, near-duplicates, DPO drafts and the export.
    assert explained == {"runs", "segments", "samples", "llm_calls", "dedup_signatures",
                         "drafts", "records"}
