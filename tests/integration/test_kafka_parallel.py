"""Key-ordered concurrent consumption against a real broker: many messages in progress per
consumer, never two of one key, back-pressure, and a rebalance while work is in flight."""

import asyncio
import uuid
from collections import Counter

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from faststream.kafka import KafkaBroker

from longweave.contracts import Scenario
from longweave.kafka_admin import ensure_topics
from longweave.kafka_membership import use_static_membership
from longweave.observability import ServiceMetrics
from longweave.prompts import PromptLibrary
from longweave.runtime import ServiceContext, new_router
from longweave.settings import Settings
from longweave.store import Store
from longweave.topics import Topics

pytestmark = pytest.mark.integration


class Probe:
    """What the handlers saw: who ran, when, and how many at once."""

    def __init__(self) -> None:
        self.started: list[tuple[str, str]] = []  # (consumer, sample id)
        self.finished: list[str] = []
        self.running: Counter[str] = Counter()  # by key
        self.peak = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.delay_s = 0.0

    async def handle(self, name: str, scenario: Scenario) -> None:
        key = scenario.run_id  # the tests key by run id: several samples share a key
        assert self.running[key] == 0, f"two messages of key {key} ran at once"
        self.running[key] += 1
        self.started.append((name, scenario.sample_id))
        self.peak = max(self.peak, sum(self.running.values()))
        try:
            await self.gate.wait()
            await asyncio.sleep(self.delay_s)
            self.finished.append(scenario.sample_id)
        finally:
            self.running[key] -= 1


@pytest.fixture
async def bench(servers):
    tag = uuid.uuid4().hex[:8]
    settings = Settings(kafka_bootstrap=servers.kafka_bootstrap, mongodb_uri=servers.mongodb_uri,
                        mongodb_db=f"par_{tag}", topic_prefix=f"p{tag}", topic_partitions=3,
                        drain_timeout_s=1.0, kafka_commit_interval_ms=200,
                        kafka_lag_interval_s=0.2)
    topics = Topics.with_prefix(settings.topic_prefix)
    await ensure_topics(settings, topics)
    store = Store(settings.mongodb_uri, settings.mongodb_db)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    probe = Probe()
    brokers: list[KafkaBroker] = []

    async def start_consumer(name: str, max_in_flight: int) -> ServiceContext:
        s = settings.model_copy(update={"stitcher_max_in_flight": max_in_flight})
        ctx = ServiceContext("stitcher", s, topics, store, PromptLibrary(),
                             ServiceMetrics("stitcher"))
        router = new_router(ctx)

        @ctx.subscriber(router, topics.scenarios, description="a handler under test")
        async def handle(scenario: Scenario) -> None:
            await probe.handle(name, scenario)

        broker = KafkaBroker(settings.kafka_bootstrap, log_level=10)
        # Static members, as the README advises on the local broker: it never evicts a
        # member whose commit failed mid-rebalance and rejoined under a new id.
        use_static_membership(broker, f"{settings.topic_prefix}-{name}")
        broker.include_router(router)
        await broker.start()
        brokers.append(broker)
        ctx.subscriber_handle = broker.subscribers[0]
        return ctx

    async def publish(count: int, keys: int) -> list[str]:
        ids = []
        for i in range(count):
            key = f"key-{i % keys}"
            s_id = f"s{i:03d}"
            ids.append(s_id)
            await producer.send_and_wait(topics.scenarios, Scenario(
                run_id=key, sample_id=s_id, scenario_id="x", index=i,
            ).model_dump_json().encode(), key=key.encode())
        return ids

    yield settings, topics, probe, start_consumer, publish
    probe.gate.set()
    for broker in brokers:
        await broker.stop()
    await producer.stop()
    store.close()


async def until(predicate, timeout_s: float, what: str) -> None:
    async with asyncio.timeout(timeout_s):
        while not predicate():
            await asyncio.sleep(0.05)


async def committed(settings: Settings, topics: Topics) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap,
                                group_id=f"{settings.topic_prefix}.stitcher.scenarios")
    await consumer.start()
    try:
        return {p: (await consumer.committed(TopicPartition(topics.scenarios, p))) or 0
                for p in range(settings.topic_partitions)}
    finally:
        await consumer.stop()


async def test_many_in_flight_per_consumer_never_two_of_one_key(bench):
    settings, topics, probe, start_consumer, publish = bench
    probe.gate.clear()  # handlers hold until released: what runs at once is deterministic
    # All published before the consumer starts, and room for all of them: which records one
    # fetch returns then cannot decide which keys start (with less room, a first fetch from
    # one partition could fill every slot with a few keys' records, all waiting behind them).
    ids = await publish(48, keys=12)
    await start_consumer("a", max_in_flight=48)
    # One consumer runs one message per key at once (12 keys), never a second of a key.
    await until(lambda: len(probe.started) == 12, 30, "one message of each key")
    await asyncio.sleep(1.0)  # time enough to start more, if it would
    assert len(probe.started) == 12 and probe.peak == 12
    assert {int(s[1:]) % 12 for _, s in probe.started} == set(range(12))  # one per key
    probe.gate.set()
    await until(lambda: len(probe.finished) == 48, 60, "all messages")
    assert sorted(probe.finished) == ids  # each once
    # Per key, in the order published.
    for k in range(12):
        mine = [s for _, s in probe.started if int(s[1:]) % 12 == k]
        assert mine == sorted(mine)
    await asyncio.sleep(0.5)  # a commit interval
    assert sum((await committed(settings, topics)).values()) == 48


async def test_back_pressure_stops_fetching_at_max_in_flight(bench):
    settings, topics, probe, start_consumer, publish = bench
    probe.gate.clear()  # handlers block until released
    ctx = await start_consumer("a", max_in_flight=4)
    await publish(20, keys=20)
    await until(lambda: len(probe.started) == 4, 30, "four started")
    await asyncio.sleep(1.5)  # time enough to fetch and start more, if it would
    assert len(probe.started) == 4
    subscriber = ctx.subscriber_handle
    assert subscriber.work.in_flight == 4
    assert subscriber.consumer.paused() == subscriber.consumer.assignment() != set()
    assert await committed(settings, topics) == {0: 0, 1: 0, 2: 0}  # nothing finished
    probe.gate.set()
    await until(lambda: len(probe.finished) == 20, 30, "all messages")
    assert len(probe.started) == 20


async def test_rebalance_with_work_in_flight_loses_nothing(bench):
    settings, topics, probe, start_consumer, publish = bench
    probe.gate.clear()
    first = await start_consumer("a", max_in_flight=30)
    ids = await publish(30, keys=30)
    await until(lambda: len(probe.started) == 30, 30, "thirty in flight")
    # A second consumer joins: the first must give up partitions with 30 messages in
    # progress; what it cannot finish within drain_timeout_s is abandoned uncommitted.
    second_start = asyncio.create_task(start_consumer("b", max_in_flight=30))
    await until(lambda: any(n == "b" for n, _ in probe.started), 60, "the second to take over")
    probe.gate.set()
    await until(lambda: set(probe.finished) == set(ids), 60, "every message finished")
    taken_over = {s for n, s in probe.started if n == "b"}
    assert taken_over, "the second consumer got no partition"
    # Abandoned by the first (cancelled at the drain timeout) and done again by the second:
    # at least once, and only the revoked partitions' in-flight messages twice.
    second = await second_start
    assert first.subscriber_handle.consumer.assignment(), "the first consumer kept nothing"
    assert second.subscriber_handle.consumer.assignment()
    finished = Counter(probe.finished)
    assert all(n == 1 for n in finished.values()), finished  # abandoned work never finished
    await asyncio.sleep(1.0)
    assert sum((await committed(settings, topics)).values()) == 30


def lag_of(ctx, topic: str) -> dict[str, float]:
    return {sample.labels["partition"]: sample.value
            for metric in ctx.metrics.registry.collect() if metric.name == "longweave_consumer_lag"
            for sample in metric.samples if sample.labels["topic"] == topic}


async def test_consumer_lag_counts_what_is_not_finished_and_falls_to_zero(bench):
    settings, topics, probe, start_consumer, publish = bench
    probe.gate.clear()  # handlers block until released
    ctx = await start_consumer("a", max_in_flight=4)
    await publish(20, keys=20)
    await until(lambda: len(probe.started) == 4, 30, "four started")
    # 4 in progress and 16 not fetched (back-pressure): all 20 are lag, on every partition.
    await until(lambda: sum(lag_of(ctx, topics.scenarios).values()) == 20, 30, "a lag of 20")
    assert set(lag_of(ctx, topics.scenarios)) == {"0", "1", "2"}
    probe.gate.set()
    await until(lambda: len(probe.finished) == 20, 30, "all messages")
    await until(lambda: sum(lag_of(ctx, topics.scenarios).values()) == 0, 30, "no lag")
