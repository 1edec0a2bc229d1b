"""Merging concurrent store operations (store_batches.py), without a server: the batches
each caller's operation lands in, and whose error reaches whom. The merged commands
themselves are tested against the real store in tests/integration/test_store_batches.py."""

import asyncio

import pytest
from pymongo import InsertOne, UpdateOne

from longweave.store_batches import Coalescer, Increment, merge_increments


class GatedExecutor:
    """Records each batch and holds it until released, so what arrives meanwhile is
    known exactly (no timing)."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()

    async def __call__(self, items: list[int]) -> list[object]:
        self.batches.append(items)
        await self.release.wait()
        return [ValueError(f"odd {i}") if i % 2 else i * 10 for i in items]


async def test_what_arrives_while_a_batch_is_in_flight_goes_out_together_next():
    execute = GatedExecutor()
    coalescer = Coalescer(execute)
    first = asyncio.create_task(coalescer.submit(0))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert execute.batches == [[0]]  # an idle coalescer sends at once
    later = [asyncio.create_task(coalescer.submit(i)) for i in range(1, 6)]
    await asyncio.sleep(0)
    execute.release.set()
    results = await asyncio.gather(first, *later, return_exceptions=True)
    assert execute.batches == [[0], [1, 2, 3, 4, 5]]
    assert [r if isinstance(r, int) else str(r) for r in results] == \
        [0, "odd 1", 20, "odd 3", 40, "odd 5"]  # each caller gets its own outcome


async def test_batches_are_cut_at_the_maximum_size():
    execute = GatedExecutor()
    execute.release.set()
    coalescer = Coalescer(execute, max_batch=2)
    await asyncio.gather(*(coalescer.submit(i) for i in (0, 2, 4, 6, 8)))
    assert execute.batches == [[0, 2], [4, 6], [8]]


async def test_a_failed_command_fails_its_batch_only():
    calls = 0

    async def flaky(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("store went away")
        return items

    coalescer = Coalescer(flaky)
    with pytest.raises(ConnectionError):
        await coalescer.submit(1)
    assert await coalescer.submit(2) == 2


async def test_a_caller_that_stops_waiting_leaves_the_others_their_results():
    execute = GatedExecutor()
    coalescer = Coalescer(execute)
    blocker = asyncio.create_task(coalescer.submit(0))
    await asyncio.sleep(0)
    gone = asyncio.create_task(coalescer.submit(2))
    kept = asyncio.create_task(coalescer.submit(4))
    await asyncio.sleep(0)
    gone.cancel()
    execute.release.set()
    assert await blocker == 0 and await kept == 40
    assert gone.cancelled()


def test_increments_of_one_document_fold_into_one_update_and_others_pass_through():
    insert = InsertOne({"_id": "x"})
    sent, sources = merge_increments([
        Increment("run-1", {"accepted": 1}), insert, Increment("run-2", {"stopped": 1}),
        Increment("run-1", {"accepted": 1, "regenerated": 1}),
    ])
    assert sent == [UpdateOne({"_id": "run-1"}, {"$inc": {"accepted": 2, "regenerated": 1}}),
                    insert, UpdateOne({"_id": "run-2"}, {"$inc": {"stopped": 1}})]
    assert sources == [[0, 3], [1], [2]]


async def test_operations_wait_the_linger_for_company_before_going_out():
    execute = GatedExecutor()
    execute.release.set()
    coalescer = Coalescer(execute, linger_s=0.5)
    first = asyncio.create_task(coalescer.submit(0))
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # the batch task has started and lingers
    await asyncio.gather(first, coalescer.submit(2))
    assert execute.batches == [[0, 2]]


async def test_a_cancelled_batch_leaves_no_caller_waiting():
    execute = GatedExecutor()  # never released
    coalescer = Coalescer(execute)
    callers = [asyncio.create_task(coalescer.submit(i)) for i in (0, 2)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    coalescer._worker.cancel()
    done, _ = await asyncio.wait(callers, timeout=5)
    assert len(done) == 2 and all(c.cancelled() for c in callers)
