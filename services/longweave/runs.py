"""Runs as `status` and `runs` read them from the store: requests recorded as they are
published (so a run the sampler has not read yet is not taken for a typo), the listing,
a run's failure reasons and the recent sample completions its throughput is measured on.

Collection ``published_requests``: one document per published request, keyed by run id
({_id, request_id, paradigm, count, published_at, request}), written once."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from longweave.contracts import ScenarioRequest
from longweave.run_summary import Reason, newest_first, published_row, run_row, top_reasons
from longweave.store import TERMINAL_STAGES, Store, now

PUBLISHED = "published_requests"
# Dead letters read to rank a run's reasons: a status poll stays cheap on a run whose
# every sample failed; the ranking of what fails is clear long before.
MAX_LETTERS_READ = 1_000
# What a listing reads of a run document (not its request, which may be long).
LISTED_FIELDS = ("request.paradigm", "created_at", "status", "requested", "accepted",
                 "dead_lettered", "stopped", "usage", "llm_usage")


async def record_published(store: Store, request: ScenarioRequest) -> None:
    """Note a published request (idempotent: a second call changes nothing)."""
    await store.db[PUBLISHED].update_one({"_id": request.run_id}, {"$setOnInsert": {
        "request_id": request.request_id, "paradigm": request.paradigm,
        "count": request.count, "published_at": now(),
        "request": request.model_dump(mode="json"),
    }}, upsert=True)


async def published_request(store: Store, run_id: str) -> dict[str, Any] | None:
    """The run's published request, without the request itself."""
    return await store.db[PUBLISHED].find_one({"_id": run_id}, {"request": 0})


async def run_known(store: Store, run_id: str) -> bool:
    """A run the sampler has read, or one published and not read yet."""
    return await store.get_run(run_id) is not None or \
        await store.db[PUBLISHED].find_one({"_id": run_id}, {"_id": 1}) is not None


async def list_runs(store: Store, status: str | None = None, paradigm: str | None = None,
                    since: datetime | None = None) -> list[dict[str, Any]]:
    """Every run, and every published request the sampler has not read yet (state
    "published"), newest first: see `run_summary.run_row` for a row's fields. `status`
    (a run status, or "published"), `paradigm` and `since` (created at or after) filter."""
    rows: list[dict[str, Any]] = []
    if status != "published":
        query: dict[str, Any] = {}
        if status is not None:
            query["status"] = status
        if paradigm is not None:
            query["request.paradigm"] = paradigm
        if since is not None:
            query["created_at"] = {"$gte": since}
        rows += [run_row(run) async for run in store.db.runs.find(query, LISTED_FIELDS)]
    if status in (None, "published"):
        query = {}
        if paradigm is not None:
            query["paradigm"] = paradigm
        if since is not None:
            query["published_at"] = {"$gte": since}
        published = await store.db[PUBLISHED].find(query, {"request": 0}).to_list(None)
        read = {doc["_id"] async for doc in store.db.runs.find(
            {"_id": {"$in": [p["_id"] for p in published]}}, {"_id": 1})} if published else set()
        rows += [published_row(p) for p in published if p["_id"] not in read]
    return newest_first(rows)


async def failure_reasons(store: Store, run: Mapping[str, Any], n: int = 3) -> list[Reason]:
    """The top `n` kinds of dead-letter reason of `run` (its document, as the caller read
    it: `run_summary.top_reasons`), after why the whole run failed when it did."""
    error = run.get("error") if run.get("status") == "failed" else None
    letters = await store.db.dead_letters.find(
        {"run_id": run["_id"]}, {"sample_id": 1, "reasons": 1}
    ).limit(MAX_LETTERS_READ).to_list(None)
    return top_reasons(letters, error, n)


async def recent_completion_times(store: Store, run_id: str, since: datetime
                                  ) -> list[datetime]:
    """When the run's samples that reached a terminal stage at or after `since` did.

    One query per terminal stage, through the (run_id, stage, updated_at) index: SecantusDB
    answers an equality and a range on it with a bounded index scan, but an ``$in`` joined
    to a range with a scan of the whole collection."""
    async def of_stage(stage: str) -> list[datetime]:
        cursor = store.db.samples.find(
            {"run_id": run_id, "stage": stage, "updated_at": {"$gte": since}},
            {"_id": 0, "updated_at": 1})
        return [doc["updated_at"] async for doc in cursor]

    found = await asyncio.gather(*(of_stage(stage) for stage in TERMINAL_STAGES))
    return [t for times in found for t in times]
