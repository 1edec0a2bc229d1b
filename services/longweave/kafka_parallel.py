"""Key-ordered concurrent consumption: many messages in progress per consumer, at least once.

A consumer that handles one message at a time caps the mesh's LLM calls in flight at
partitions × consumers; the endpoint sits idle while messages wait. Here each subscriber
keeps up to ``max_in_flight`` messages in progress at once, after the design of Confluent's
Parallel Consumer (key-level ordering with per-partition offset tracking):

- **Per-key order.** Two messages with the same key (the mesh keys by sample id) never run
  at once; the later one waits behind the earlier one. Unkeyed messages run freely.
- **Offsets.** A partition's committed offset is its lowest unfinished offset, so a crash
  never skips unfinished work: what was in progress, or finished above a gap, is delivered
  again and the handlers' idempotent effects absorb it.
- **Back-pressure.** With ``max_in_flight`` messages in progress the consumer pauses its
  partitions (no fetching) and resumes when a slot frees.
- **Rebalance.** Partitions being revoked get ``drain_timeout_s`` to finish their work; what
  is still running then is cancelled, and offsets are committed only up to the unfinished
  work, before the partitions go to another consumer.
- **Shutdown.** ``stop`` stops fetching, drains in-flight work the same way, commits, leaves.
- **Failures.** A handler that raises is retried in place with backoff, keeping its key's
  order and holding back the commit (the consume guard in runtime.py dead-letters a message
  that keeps failing, so only infrastructure failures retry for long).

FastStream (0.7) offers concurrency only with auto-commit (``ACK_FIRST``: a crash loses
in-flight messages) or as one consumer per worker (``max_workers`` with manual acks:
concurrency capped by partitions again). aiokafka gives the parts used here: ``getmany``,
``pause``/``resume``, ``commit`` of explicit offsets and a rebalance listener.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import ConsumerStoppedError, KafkaError
from faststream.kafka.subscriber.usecase import DefaultSubscriber

log = logging.getLogger(__name__)

RETRY_BACKOFF_MAX_S = 30.0


def partition_of(record: ConsumerRecord) -> TopicPartition:
    return TopicPartition(record.topic, record.partition)


@dataclass
class _PartitionOffsets:
    unfinished: set[int] = field(default_factory=set)
    next_offset: int | None = None  # one past the highest offset taken
    committed: int | None = None


class OffsetTracker:
    """Which offset of each partition is safe to commit: the lowest unfinished one, or one
    past the highest taken when nothing is unfinished."""

    def __init__(self) -> None:
        self._partitions: dict[TopicPartition, _PartitionOffsets] = {}

    def taken(self, tp: TopicPartition, offset: int) -> None:
        p = self._partitions.setdefault(tp, _PartitionOffsets())
        p.unfinished.add(offset)
        if p.next_offset is None or offset >= p.next_offset:
            p.next_offset = offset + 1

    def finished(self, tp: TopicPartition, offset: int) -> None:
        p = self._partitions.get(tp)
        if p is not None:
            p.unfinished.discard(offset)

    def safe_offset(self, tp: TopicPartition) -> int | None:
        p = self._partitions.get(tp)
        if p is None:
            return None
        return min(p.unfinished) if p.unfinished else p.next_offset

    def to_commit(self, partitions: Iterable[TopicPartition] | None = None
                  ) -> dict[TopicPartition, int]:
        """Safe offsets that moved since they were last committed."""
        chosen = self._partitions if partitions is None else partitions
        offsets = {}
        for tp in chosen:
            p = self._partitions.get(tp)
            safe = self.safe_offset(tp)
            if p is not None and safe is not None and safe != p.committed:
                offsets[tp] = safe
        return offsets

    def committed(self, offsets: dict[TopicPartition, int]) -> None:
        for tp, offset in offsets.items():
            if tp in self._partitions:
                self._partitions[tp].committed = offset

    @property
    def partitions(self) -> list[TopicPartition]:
        return list(self._partitions)

    def forget(self, partitions: Iterable[TopicPartition]) -> None:
        for tp in partitions:
            self._partitions.pop(tp, None)


class KeyedWork:
    """Runs `handle(record)` for submitted records: at most one record per key at a time, in
    submission order per key; tracks offsets. Capacity is the caller's to respect
    (`in_flight` counts running records and those waiting behind their key)."""

    def __init__(self, handle: Callable[[ConsumerRecord], Awaitable[Any]]) -> None:
        self._handle = handle
        self.offsets = OffsetTracker()
        self._waiting: dict[Any, deque[ConsumerRecord]] = {}  # busy key → records behind it
        self._running: dict[asyncio.Task[None], ConsumerRecord] = {}
        self._closed: set[TopicPartition] = set()  # being drained: start nothing new there
        self._room = asyncio.Event()
        self.in_flight = 0

    @property
    def running(self) -> int:
        return len(self._running)

    def submit(self, record: ConsumerRecord) -> None:
        tp = partition_of(record)
        self._closed.discard(tp)  # assigned again after a revoke
        self.offsets.taken(tp, record.offset)
        self.in_flight += 1
        key = record.key if record.key is not None else (tp, record.offset)
        waiting = self._waiting.get(key)
        if waiting is not None:
            waiting.append(record)
            return
        self._waiting[key] = deque()
        self._start(key, record)

    async def wait_for_room(self, timeout_s: float) -> None:
        self._room.clear()
        try:
            await asyncio.wait_for(self._room.wait(), timeout_s)
        except TimeoutError:
            pass

    async def drain(self, partitions: set[TopicPartition] | None, timeout_s: float) -> int:
        """Let the work of `partitions` (None: all) finish within `timeout_s`, cancel what is
        still running then, and drop what waits behind a key. Returns how many were
        cancelled. Their offsets stay unfinished, so nothing is committed past them."""
        self._closed |= set(self.offsets.partitions if partitions is None else partitions)
        for key, waiting in list(self._waiting.items()):
            kept = deque(r for r in waiting if partition_of(r) not in self._closed)
            self.in_flight -= len(waiting) - len(kept)
            self._waiting[key] = kept
        tasks = [t for t, r in self._running.items()
                 if partitions is None or partition_of(r) in partitions]
        if not tasks:
            return 0
        _, pending = await asyncio.wait(tasks, timeout=timeout_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        return len(pending)

    def _start(self, key: Any, record: ConsumerRecord) -> None:
        task = asyncio.create_task(self._run(record))
        self._running[task] = record
        task.add_done_callback(lambda t: self._done(t, key))

    async def _run(self, record: ConsumerRecord) -> None:
        failures = 0
        while True:
            try:
                await self._handle(record)
                return
            except Exception as exc:  # noqa: BLE001 - retried in place; the offset holds
                failures += 1
                delay = min(RETRY_BACKOFF_MAX_S, 0.5 * 2 ** (failures - 1))
                log.warning("%s@%d:%d failed (%s: %s); retrying in %.1fs", record.topic,
                            record.partition, record.offset, type(exc).__name__, exc, delay)
                await asyncio.sleep(delay)

    def _done(self, task: asyncio.Task[None], key: Any) -> None:
        record = self._running.pop(task)
        self.in_flight -= 1
        self._room.set()
        if task.cancelled():  # abandoned (revoke, shutdown): the offsets stay unfinished
            self.in_flight -= len(self._waiting.pop(key, ()))
            return
        self.offsets.finished(partition_of(record), record.offset)
        waiting = self._waiting.get(key)
        while waiting and partition_of(waiting[0]) in self._closed:
            waiting.popleft()
            self.in_flight -= 1
        if waiting:
            self._start(key, waiting.popleft())
        else:
            self._waiting.pop(key, None)


@dataclass(frozen=True)
class ParallelOptions:
    max_in_flight: int
    drain_timeout_s: float
    commit_interval_s: float = 1.0
    poll_timeout_s: float = 0.5
    lag_interval_s: float = 15.0  # how often the consumer lag is measured (on_lag)


class KeyOrderedSubscriber(DefaultSubscriber):
    """A FastStream Kafka subscriber whose consume loop runs messages concurrently through
    `KeyedWork` and commits tracked offsets (FastStream's own acknowledgement is off:
    declare it with ``ack_policy=AckPolicy.MANUAL``). Make one with `run_in_parallel`."""

    parallel: ParallelOptions
    work: KeyedWork | None
    on_in_flight: Callable[[int], None] | None
    on_assignment: Callable[[int], None] | None  # partitions owned, after each rebalance
    on_lag: Callable[[dict[TopicPartition, int]], None] | None  # lag of each owned partition
    on_commit: Callable[[dict[TopicPartition, int]], None] | None  # offsets just committed

    async def start(self) -> None:
        self.work = KeyedWork(self._handle)
        self._listener = _DrainOnRevoke(self)
        await super().start()

    async def _handle(self, record: ConsumerRecord) -> None:
        # FastStream's `consume` minus its "still running?" shortcut, which would report a
        # record never handled as done during shutdown; failures propagate to be retried.
        await self.process_message(record)

    async def _run_consume_loop(self, consumer: Any) -> None:
        work = self.work
        assert work is not None
        options = self.parallel
        last_commit = last_lag = time.monotonic()
        while self.running:
            if work.in_flight >= options.max_in_flight:
                _pause(consumer)
                await work.wait_for_room(options.poll_timeout_s)
            else:
                _resume(consumer)
                try:
                    batches = await consumer.getmany(
                        timeout_ms=int(options.poll_timeout_s * 1000),
                        max_records=options.max_in_flight - work.in_flight,
                    )
                except ConsumerStoppedError:
                    return
                except KafkaError as exc:
                    log.error("fetch from %s failed: %s", self.topic_names, exc)
                    await asyncio.sleep(1.0)
                    continue
                if not self.running:  # stopping: leave them for the next owner
                    break
                for records in batches.values():
                    for record in records:
                        work.submit(record)
            if self.on_in_flight is not None:
                self.on_in_flight(work.in_flight)
            if time.monotonic() - last_commit >= options.commit_interval_s:
                await self.commit(consumer)
                last_commit = time.monotonic()
            if self.on_lag is not None and time.monotonic() - last_lag >= options.lag_interval_s:
                await self.report_lag(consumer)
                last_lag = time.monotonic()

    async def report_lag(self, consumer: Any) -> None:
        """Each owned partition's lag: its high-water mark (end offset, from the broker)
        minus the offset that is safe to commit (unfinished work counts as lag), or minus
        the consumer's position where nothing was taken yet."""
        work = self.work
        owned = consumer.assignment()
        if work is None or self.on_lag is None:
            return
        lags = {}
        try:
            ends = await consumer.end_offsets(list(owned)) if owned else {}
            for tp in owned:
                done = work.offsets.safe_offset(tp)
                if done is None:
                    done = await consumer.position(tp)
                lags[tp] = max(0, ends[tp] - done)
        except KafkaError as exc:  # a rebalance or a broker hiccup: measure next time
            log.debug("lag of %s not measured: %s", self.topic_names, exc)
            return
        self.on_lag(lags)

    async def commit(self, consumer: Any, partitions: set[TopicPartition] | None = None
                     ) -> None:
        work = self.work
        if work is None or (partitions is None and _rebalancing(consumer)):
            return  # a commit racing a rebalance fails, and some brokers then wedge the group
        owned = consumer.assignment()
        offsets = {tp: o for tp, o in work.offsets.to_commit(partitions).items() if tp in owned}
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except KafkaError as exc:  # e.g. a rebalance under way: the next owner redoes work
            log.warning("commit of %s failed: %s", offsets, exc)
            return
        work.offsets.committed(offsets)
        if self.on_commit is not None:
            self.on_commit(offsets)

    async def release(self, partitions: set[TopicPartition]) -> None:
        """Revoked partitions: drain their work, commit what finished, forget them."""
        work, consumer = self.work, self.consumer
        if work is None or consumer is None:
            return
        cancelled = await work.drain(partitions, self.parallel.drain_timeout_s)
        if cancelled:
            log.warning("%d in-flight messages of revoked %s abandoned after %.0fs; they will "
                        "be delivered again", cancelled, sorted(partitions),
                        self.parallel.drain_timeout_s)
        await self.commit(consumer, partitions)
        work.offsets.forget(partitions)

    async def stop(self) -> None:
        self.running = False  # the loop fetches no more
        work, consumer = self.work, self.consumer
        if work is not None and consumer is not None:
            cancelled = await work.drain(None, self.parallel.drain_timeout_s)
            if cancelled:
                log.warning("%d in-flight messages of %s abandoned at shutdown after %.0fs; "
                            "they will be delivered again", cancelled, self.topic_names,
                            self.parallel.drain_timeout_s)
            await self.commit(consumer)
        await super().stop()


class _DrainOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, subscriber: KeyOrderedSubscriber) -> None:
        self.subscriber = subscriber
        self.owned: set[TopicPartition] = set()

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if revoked:
            await self.subscriber.release(set(revoked))
        self._report(self.owned - set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._report(self.owned | set(assigned))

    def _report(self, owned: set[TopicPartition]) -> None:
        self.owned = owned
        if self.subscriber.on_assignment is not None:
            self.subscriber.on_assignment(len(owned))


def run_in_parallel(subscriber: Any, options: ParallelOptions,
                    on_in_flight: Callable[[int], None] | None = None,
                    on_assignment: Callable[[int], None] | None = None,
                    on_lag: Callable[[dict[TopicPartition, int]], None] | None = None,
                    on_commit: Callable[[dict[TopicPartition, int]], None] | None = None,
                    ) -> KeyOrderedSubscriber:
    """Turn a FastStream subscriber built by ``router.subscriber(...)`` into a
    `KeyOrderedSubscriber`. FastStream's factory picks the subscriber class itself and has no
    hook for another, so the instance's class is switched (the layout is the same: the
    subclass adds behaviour, and its state lives in the instance dict)."""
    if type(subscriber) is not DefaultSubscriber:
        raise TypeError(f"expected a single-topic DefaultSubscriber, got {type(subscriber)}")
    subscriber.__class__ = KeyOrderedSubscriber
    subscriber.parallel = options
    subscriber.work = None
    subscriber.on_in_flight = on_in_flight
    subscriber.on_assignment = on_assignment
    subscriber.on_lag = on_lag
    subscriber.on_commit = on_commit
    return subscriber


def _rebalancing(consumer: Any) -> bool:
    """Whether the consumer knows its group is rebalancing (aiokafka keeps no public flag)."""
    coordinator = getattr(consumer, "_coordinator", None)
    subscription = getattr(getattr(consumer, "_subscription", None), "subscription", None)
    return bool(coordinator is not None and subscription is not None
                and coordinator.need_rejoin(subscription))


def _pause(consumer: Any) -> None:
    assigned = consumer.assignment()
    if assigned and consumer.paused() != assigned:
        consumer.pause(*assigned)


def _resume(consumer: Any) -> None:
    paused = consumer.paused()
    if paused:
        consumer.resume(*paused)
