"""The run's near-duplicate index in MongoDB: LSH band keys → samples, indexed by run and
band, so a lookup touches only the records sharing a band with the new one."""

from __future__ import annotations

from pymongo import ASCENDING, UpdateOne

from longweave.store import Store
from longweave.validator.minhash import Match, band_hashes, best_duplicate


class MongoLSHIndex:
    def __init__(self, store: Store) -> None:
        self.bands = store.db.dedup_bands
        self.signatures = store.db.dedup_signatures

    async def ensure_indexes(self) -> None:
        await self.bands.create_index([("run_id", ASCENDING), ("band", ASCENDING)])

    async def find_duplicate(self, run_id: str, sample_id: str, sig: list[int]) -> Match | None:
        keys = band_hashes(sig)
        ids = set(await self.bands.distinct(
            "sample_id", {"run_id": run_id, "band": {"$in": keys}}))
        ids.discard(sample_id)  # an earlier attempt of the same sample is not a duplicate
        if not ids:
            return None
        docs = self.signatures.find({"_id": {"$in": [f"{run_id}:{i}" for i in sorted(ids)]}})
        return best_duplicate(sig, [(d["sample_id"], d["sig"]) async for d in docs])

    async def add(self, run_id: str, sample_id: str, sig: list[int]) -> None:
        await self.signatures.replace_one(
            {"_id": f"{run_id}:{sample_id}"},
            {"_id": f"{run_id}:{sample_id}", "run_id": run_id, "sample_id": sample_id,
             "sig": sig},
            upsert=True,
        )
        await self.bands.bulk_write([
            UpdateOne({"_id": f"{run_id}:{key}:{sample_id}"},
                      {"$set": {"run_id": run_id, "band": key, "sample_id": sample_id}},
                      upsert=True)
            for key in band_hashes(sig)
        ], ordered=False)
