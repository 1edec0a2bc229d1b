"""The run's near-duplicate index in MongoDB: one document per record holding its MinHash
signature and its LSH band keys, with a multikey index on (run_id, bands), so a lookup
touches only the records sharing a band with the new one, and adding a record is one
write."""

from __future__ import annotations

from pymongo import ASCENDING, ReplaceOne

from longweave.store import Store
from longweave.validator.minhash import (
    Match,
    band_hashes,
    best_duplicate,
    pack_signature,
    unpack_signature,
)


class MongoLSHIndex:
    def __init__(self, store: Store) -> None:
        self.entries = store.db.dedup_signatures
        self._writes = store.batches("dedup_signatures")

    async def ensure_indexes(self) -> None:
        await self.entries.create_index([("run_id", ASCENDING), ("bands", ASCENDING)])

    async def find_duplicate(self, run_id: str, sample_id: str, sig: list[int]) -> Match | None:
        entries = self.entries.find({"run_id": run_id, "bands": {"$in": band_hashes(sig)}},
                                    {"sample_id": 1, "sig": 1})
        # An earlier attempt of the same sample is not a duplicate.
        return best_duplicate(sig, [(e["sample_id"], unpack_signature(e["sig"]))
                                    async for e in entries if e["sample_id"] != sample_id])

    async def add(self, run_id: str, sample_id: str, sig: list[int]) -> None:
        entry_id = f"{run_id}:{sample_id}"
        entry = {"_id": entry_id, "run_id": run_id, "sample_id": sample_id,
                 "sig": pack_signature(sig), "bands": band_hashes(sig)}
        # Most samples pass at their first attempt: an insert, which costs the local store a
        # fraction of an upsert (an update of the multikey band index); a later attempt's
        # text replaces the entry.
        if not await self._writes.insert_once(entry):
            await self._writes.write(ReplaceOne({"_id": entry_id}, entry))
