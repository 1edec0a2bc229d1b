"""Store operations that handlers issue at the same time, merged into one command each.

Every handler of a process reads and writes its documents one at a time, by ``_id``, and at
the mesh's concurrency dozens of them are doing so at once. Each command has a fixed cost
in the driver and in the server (SecantusDB, the local store, spends 2.4 ms of CPU on a lone
upsert and 0.7 ms per upsert in batches of 32; 0.75 ms on a lone find by id and 0.16 in an
``$in`` of 32). So reads by id merge into one ``find({_id: {$in: …}})`` and writes into one
unordered ``bulk_write`` per collection.

One command per collection and kind is in flight at a time, and what arrives meanwhile
goes into the next. A batch also waits `linger_s` (``LONGWEAVE_STORE_BATCH_LINGER_MS``) for
company before it goes out, as a Kafka producer's ``linger.ms`` does: on this project's
2-core machine 10 ms took the mesh benchmark from about 11 to 9 commands per record, for
10 ms more per operation. Each caller still awaits its own operation (a handler commits its
message only once its writes are durable) and gets its own error: a write that fails in a
batch fails only its caller.

Merged writes run in no fixed order, as they would have when issued concurrently; one
caller's operations keep their order, because it awaits each before the next. A merged
command is counted in the store-operation metrics of the service whose operation opened it.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from motor.motor_asyncio import AsyncIOMotorCollection
from pymongo import InsertOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

Item = TypeVar("Item")

MAX_BATCH = 500
DUPLICATE_KEY = 11000


class Coalescer(Generic[Item]):
    """Runs `execute` on the items submitted while the previous batch was in flight.
    `execute` returns one result per item: a value, or an exception for that item alone."""

    def __init__(self, execute: Callable[[list[Item]], Awaitable[list[Any]]],
                 max_batch: int = MAX_BATCH, linger_s: float = 0.0) -> None:
        self._execute = execute
        self._max_batch = max_batch
        self._linger_s = linger_s
        self._queue: list[tuple[Item, asyncio.Future[Any]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Any]]] = []
        try:
            while self._queue:
                if self._linger_s and len(self._queue) < self._max_batch:
                    await asyncio.sleep(self._linger_s)
                batch = self._queue[:self._max_batch]
                del self._queue[:self._max_batch]
                try:
                    results = await self._execute([item for item, _ in batch])
                except Exception as exc:  # the command failed: so did each of its operations
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():  # its caller gave up waiting; the work is done anyway
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        except asyncio.CancelledError:  # shutting down: nobody is left waiting forever
            for _, future in [*batch, *self._queue]:
                if not future.done():
                    future.cancel()
            self._queue.clear()
            raise


class CollectionBatches:
    """A collection's finds by id and its writes, each merged with concurrent ones."""

    def __init__(self, collection: AsyncIOMotorCollection, linger_s: float = 0.0) -> None:
        self.collection = collection
        self._finds: Coalescer[Any] = Coalescer(self._find_many, linger_s=linger_s)
        self._writes: Coalescer[Any] = Coalescer(self._write_many, linger_s=linger_s)

    async def find_by_id(self, doc_id: Any) -> dict[str, Any] | None:
        return await self._finds.submit(doc_id)

    async def write(self, operation: Any) -> None:
        """An UpdateOne, ReplaceOne, InsertOne or DeleteOne, applied with the others."""
        await self._writes.submit(operation)

    async def increment(self, doc_id: Any, amounts: dict[str, float]) -> None:
        await self._writes.submit(Increment(doc_id, amounts))

    async def insert_once(self, doc: dict[str, Any]) -> bool:
        """Insert `doc` unless its ``_id`` exists (first write wins: a redelivery writes
        the same); False when it existed. An insert costs the local store a third of an
        upsert."""
        try:
            await self._writes.submit(InsertOne(doc))
        except DuplicateKeyError:
            return False
        return True

    async def _find_many(self, ids: list[Any]) -> list[dict[str, Any] | None]:
        unique = list(dict.fromkeys(ids))
        found = {doc["_id"]: doc async for doc in self.collection.find({"_id": {"$in": unique}})}
        seen: set[Any] = set()
        results = []
        for doc_id in ids:
            doc = found.get(doc_id)
            # Callers may change what they get: two asking for one document get two copies.
            results.append(copy.deepcopy(doc) if doc is not None and doc_id in seen else doc)
            seen.add(doc_id)
        return results

    async def _write_many(self, operations: list[Any]) -> list[Exception | None]:
        sent, sources = merge_increments(operations)
        results: list[Exception | None] = [None] * len(operations)
        try:
            await self.collection.bulk_write(sent, ordered=False)
        except BulkWriteError as exc:
            details = exc.details
            for error in details.get("writeErrors", []):
                kind = DuplicateKeyError if error.get("code") == DUPLICATE_KEY \
                    else OperationFailure
                for index in sources[error["index"]]:
                    results[index] = kind(error.get("errmsg", ""), error.get("code"), error)
            if details.get("writeConcernErrors"):
                return [OperationFailure(f"write concern: {details['writeConcernErrors']}")
                        ] * len(operations)
        return results


@dataclass(frozen=True)
class Increment:
    """``$inc`` of counters on one document, by ``_id`` (merged with the batch's others)."""

    doc_id: Any
    amounts: dict[str, float]


def merge_increments(operations: list[Any]) -> tuple[list[Any], list[list[int]]]:
    """The operations to send, with the increments of each document folded into one update
    (a run's counters are bumped by each sample that ends), and for each operation sent
    the indexes of the operations it stands for."""
    sent: list[Any] = []
    sources: list[list[int]] = []
    totals: dict[Any, tuple[int, dict[str, float]]] = {}
    for index, operation in enumerate(operations):
        if not isinstance(operation, Increment):
            sent.append(operation)
            sources.append([index])
            continue
        if operation.doc_id not in totals:
            totals[operation.doc_id] = (len(sent), {})
            sent.append(None)  # filled below
            sources.append([])
        at, amounts = totals[operation.doc_id]
        for name, amount in operation.amounts.items():
            amounts[name] = amounts.get(name, 0) + amount
        sources[at].append(index)
    for doc_id, (at, amounts) in totals.items():
        sent[at] = UpdateOne({"_id": doc_id}, {"$inc": amounts})
    return sent, sources
