"""Completed calls in MongoDB (``llm_calls``), keyed by `cache_key`: each paid call's
record (what it served — run, sample, attempt, purpose, prompt version — its usage, cost,
latency and reply) is also the response cache entry, so a call costs one write.

A run killed mid-way and restarted finds every call it completed here and pays for none of
them twice. The key is the document ``_id``, so concurrent writers (several processes
finishing the same call) are safe: the first insert wins, later ones are no-ops. Records
hold the reply and its accounting, never a request header.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import DeleteOne

from longweave.contracts import Usage
from longweave.store import Store

COLLECTION = "llm_calls"


@dataclass(frozen=True)
class CachedReply:
    text: str
    finish_reason: str
    usage: Usage
    model: str


class ResponseCache:
    def __init__(self, store: Store) -> None:
        self._entries = store.batches(COLLECTION)

    async def get(self, key: str) -> CachedReply | None:
        doc = await self._entries.find_by_id(key)
        if doc is None:
            return None
        return CachedReply(text=doc["text"], finish_reason=doc["finish_reason"],
                           usage=Usage(**doc["usage"]), model=doc["model"])

    async def put(self, key: str, reply: CachedReply, meta: dict[str, Any]) -> None:
        doc = {
            "text": reply.text, "finish_reason": reply.finish_reason,
            "usage": reply.usage.model_dump(), "model": reply.model,
            "created_at": datetime.now(UTC), **meta,
        }
        # A concurrent writer may have stored the same call first: its entry stands.
        await self._entries.insert_once({"_id": key, **doc})

    async def replace(self, key: str, reply: CachedReply, meta: dict[str, Any]) -> None:
        """Overwrite an entry that no longer parses (e.g. written by an older version)."""
        await self._entries.write(DeleteOne({"_id": key}))
        await self.put(key, reply, meta)
