"""Key-ordered concurrent work and offset tracking, without a broker (the real-broker
behaviour is in tests/integration/test_kafka_parallel.py)."""

import asyncio
import random

from aiokafka import ConsumerRecord, TopicPartition

from longweave.kafka_parallel import KeyedWork, OffsetTracker

TP0 = TopicPartition("t", 0)
TP1 = TopicPartition("t", 1)


def record(offset: int, key: str | None, partition: int = 0) -> ConsumerRecord:
    return ConsumerRecord(topic="t", partition=partition, offset=offset, timestamp=0,
                          timestamp_type=0, key=key.encode() if key else None, value=b"",
                          checksum=None, serialized_key_size=0, serialized_value_size=0,
                          headers=())


def test_commit_offset_is_the_lowest_unfinished_one():
    offsets = OffsetTracker()
    for o in (10, 11, 12):
        offsets.taken(TP0, o)
    assert offsets.safe_offset(TP0) == 10
    offsets.finished(TP0, 11)
    offsets.finished(TP0, 12)
    assert offsets.to_commit() == {TP0: 10}  # 10 still runs: 11 and 12 are not skipped past
    offsets.finished(TP0, 10)
    assert offsets.to_commit() == {TP0: 13}
    offsets.committed({TP0: 13})
    assert offsets.to_commit() == {}  # nothing moved since
    offsets.forget([TP0])
    assert offsets.safe_offset(TP0) is None


async def test_records_of_one_key_run_one_at_a_time_in_order_and_keys_run_concurrently():
    running: set[bytes] = set()
    peak = 0
    order: dict[bytes, list[int]] = {}
    rng = random.Random(7)

    async def handle(r: ConsumerRecord) -> None:
        nonlocal peak
        assert r.key not in running, "two records of one key ran at once"
        running.add(r.key)
        peak = max(peak, len(running))
        await asyncio.sleep(rng.uniform(0, 0.01))
        order.setdefault(r.key, []).append(r.offset)
        running.discard(r.key)

    work = KeyedWork(handle)
    keys = [f"k{rng.randrange(5)}" for _ in range(60)]
    for offset, key in enumerate(keys):
        work.submit(record(offset, key))
    assert work.in_flight == 60
    while work.in_flight:
        await work.wait_for_room(1.0)
    assert peak == 5
    for key, offsets in order.items():
        assert offsets == sorted(offsets)
        assert len(offsets) == keys.count(key.decode())
    assert work.offsets.to_commit() == {TP0: 60}


async def test_a_failing_handler_is_retried_in_place_and_holds_the_commit(monkeypatch):
    monkeypatch.setattr("longweave.kafka_parallel.RETRY_BACKOFF_MAX_S", 0.01)
    attempts: list[int] = []

    async def handle(r: ConsumerRecord) -> None:
        attempts.append(r.offset)
        if r.offset == 0 and attempts.count(0) < 3:
            raise ConnectionError("store unreachable")

    work = KeyedWork(handle)
    work.submit(record(0, "a"))
    work.submit(record(1, "a"))  # behind the failing one: waits, in order
    work.submit(record(2, "b"))
    await asyncio.sleep(0)
    assert work.offsets.to_commit() == {TP0: 0}
    while work.in_flight:
        await work.wait_for_room(1.0)
    assert attempts.count(0) == 3 and attempts.index(1) > len(attempts) - 3
    assert work.offsets.to_commit() == {TP0: 3}


async def test_drain_cancels_what_outlasts_the_timeout_and_commits_nothing_past_it():
    release = asyncio.Event()
    done: list[int] = []

    async def handle(r: ConsumerRecord) -> None:
        if r.offset == 1:
            await release.wait()  # never set: outlasts the drain
        done.append((r.partition, r.offset))

    work = KeyedWork(handle)
    work.submit(record(0, "a"))
    work.submit(record(1, "b"))
    work.submit(record(2, "b"))  # waits behind offset 1 (key b): dropped by the drain
    work.submit(record(3, "c"))
    work.submit(record(0, "x", partition=1))
    cancelled = await work.drain({TP0}, timeout_s=0.1)
    assert cancelled == 1
    assert (0, 2) not in done and (0, 1) not in done
    assert work.offsets.to_commit([TP0]) == {TP0: 1}  # offsets 1 and 2 are delivered again
    while work.in_flight:
        await work.wait_for_room(1.0)
    assert work.offsets.to_commit([TP1]) == {TP1: 1}  # the other partition went on
