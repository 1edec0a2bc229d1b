import asyncio

import pytest

from longweave.llm.concurrency import AimdController, ConcurrencyGate


def test_decrease_is_multiplicative_and_bounded():
    assert AimdController(max_limit=64).decrease_factor == 0.75  # gentle: 64 -> 16 in 5 events
    aimd = AimdController(max_limit=64, decrease_factor=0.5, cooldown_s=1.0)
    assert aimd.current == 64
    assert aimd.on_throttle(aimd.epoch, now=0.0)
    assert aimd.current == 32
    for t in range(1, 20):
        aimd.on_throttle(aimd.epoch, now=float(t))
    assert aimd.current == 1  # never below min_limit


def test_one_decrease_per_throttling_event():
    aimd = AimdController(max_limit=64, decrease_factor=0.5, cooldown_s=1.0)
    issued = aimd.epoch
    assert aimd.on_throttle(issued, now=10.0)
    # Other requests issued under the old limit report the same event: no further decrease.
    assert not aimd.on_throttle(issued, now=12.0)
    # A request issued after the decrease, but inside the quiet period: none either.
    assert not aimd.on_throttle(aimd.epoch, now=10.5)
    assert aimd.current == 32
    assert aimd.on_throttle(aimd.epoch, now=11.0)
    assert aimd.current == 16


def test_quiet_period_follows_retry_after():
    aimd = AimdController(max_limit=8, cooldown_s=1.0)
    aimd.on_throttle(aimd.epoch, now=0.0, retry_after=5.0)
    assert not aimd.on_throttle(aimd.epoch, now=4.9)
    assert aimd.on_throttle(aimd.epoch, now=5.0)


def test_additive_increase_grows_back_to_the_cap():
    aimd = AimdController(max_limit=16, decrease_factor=0.5)
    aimd.on_throttle(0, now=0.0)
    assert aimd.current == 8
    for _ in range(9):  # about one window of successes at limit 8: +1
        aimd.on_success()
    assert aimd.current == 9
    for _ in range(1000):
        aimd.on_success()
    assert aimd.current == 16


def test_invalid_parameters():
    with pytest.raises(ValueError):
        AimdController(max_limit=0)
    with pytest.raises(ValueError):
        AimdController(max_limit=4, decrease_factor=1.0)


async def test_gate_never_exceeds_its_limit_and_follows_changes():
    aimd = AimdController(max_limit=4, decrease_factor=0.5)
    changes = []
    gate = ConcurrencyGate(aimd, on_change=lambda n, limit: changes.append((n, limit)))
    peak = 0
    release = asyncio.Event()

    async def hold():
        nonlocal peak
        async with gate.slot():
            peak = max(peak, gate.in_flight)
            await release.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(10)]
    await asyncio.sleep(0)
    assert gate.in_flight == 4
    gate.throttled(gate.controller.epoch, now=0.0, retry_after=None)  # limit 4 -> 2
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 4 and gate.in_flight == 0
    assert max(n for n, limit in changes if limit == 2) <= 4  # in-flight drained, not cut
    assert changes[-1] == (0, 2)


async def test_gate_hands_slots_on_in_arrival_order_and_survives_cancellation():
    gate = ConcurrencyGate(AimdController(max_limit=1))
    order = []
    first = asyncio.Event()

    async def worker(name, wait=None):
        async with gate.slot():
            order.append(name)
            if wait:
                await wait.wait()

    holder = asyncio.create_task(worker("a", first))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(worker(n)) for n in "bcd"]
    await asyncio.sleep(0)
    waiting[1].cancel()  # "c" gives up while queued
    first.set()
    await asyncio.gather(holder, waiting[0], waiting[2], return_exceptions=True)
    assert order == ["a", "b", "d"] and gate.in_flight == 0


async def grant_order(gate, queued, cancel=()):
    """The order in which a gate of one slot grants it: to a holder first, then to `queued`
    ((name, priority), waiting in that order) once the holder lets go; the names in
    `cancel` give up while they wait."""
    order = []
    release = asyncio.Event()

    async def worker(name, priority, wait=None):
        async with gate.slot(priority):
            order.append(name)
            if wait:
                await wait.wait()

    holder = asyncio.create_task(worker("holder", 0, release))
    await asyncio.sleep(0)
    tasks = {name: asyncio.create_task(worker(name, priority)) for name, priority in queued}
    await asyncio.sleep(0)
    for name in cancel:
        tasks[name].cancel()
    release.set()
    await asyncio.gather(holder, *tasks.values(), return_exceptions=True)
    assert gate.in_flight == 0
    return order


async def test_waiters_are_served_by_priority_then_in_arrival_order():
    gate = ConcurrencyGate(AimdController(max_limit=1))
    order = await grant_order(gate, [("new-1", 0), ("third-unit", -2), ("second-unit", -1),
                                     ("new-2", 0)], cancel=["third-unit"])
    # "third-unit" gave up while queued: its turn passes to the next.
    assert order == ["holder", "second-unit", "new-1", "new-2"]


async def test_every_client_of_a_shared_gate_sees_its_in_flight_count():
    gate = ConcurrencyGate(AimdController(max_limit=4))
    seen_by_generator, seen_by_judge = [], []
    gate.watch(lambda n, limit: seen_by_generator.append(n))
    gate.watch(lambda n, limit: seen_by_judge.append(n))
    async with gate.slot(), gate.slot():
        pass
    assert seen_by_generator == seen_by_judge == [0, 1, 2, 1, 0]


async def test_every_nth_slot_goes_to_the_longest_waiter_whatever_its_priority():
    gate = ConcurrencyGate(AimdController(max_limit=1), fifo_every=3)
    # Two new samples wait first, then four continuations that outrank them.
    order = await grant_order(gate, [("new-1", 0), ("new-2", 0), ("cont-1", -1),
                                     ("cont-2", -1), ("cont-3", -1), ("cont-4", -1)])
    # Grants 1 and 2 by priority, the 3rd to the longest waiter, and so on.
    assert order == ["holder", "cont-1", "new-1", "cont-2", "cont-3", "new-2", "cont-4"]


def test_the_first_come_share_is_at_least_one_slot_in_every_n():
    with pytest.raises(ValueError):
        ConcurrencyGate(AimdController(max_limit=1), fifo_every=0)
