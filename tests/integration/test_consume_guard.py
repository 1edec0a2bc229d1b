"""The consume guard against a real broker: bad inputs and poison messages end in the
dead-letter topic with reasons; the consumer keeps consuming."""

import asyncio
import json
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream.kafka import KafkaBroker

from longweave.contracts import Scenario
from longweave.kafka_admin import ensure_topics
from longweave.observability import ServiceMetrics
from longweave.prompts import PromptLibrary
from longweave.runtime import ServiceContext, new_router
from longweave.settings import Settings
from longweave.store import Store
from longweave.topics import Topics

pytestmark = pytest.mark.integration


@pytest.fixture
async def guarded(servers):
    """A one-subscriber service on the scenarios topic whose handler we control."""
    tag = uuid.uuid4().hex[:8]
    settings = Settings(kafka_bootstrap=servers.kafka_bootstrap, mongodb_uri=servers.mongodb_uri,
                        mongodb_db=f"guard_{tag}", topic_prefix=f"g{tag}", topic_partitions=1,
                        max_redeliveries=2)
    topics = Topics.with_prefix(settings.topic_prefix)
    await ensure_topics(settings, topics)
    store = Store(settings.mongodb_uri, settings.mongodb_db)
    ctx = ServiceContext("stitcher", settings, topics, store, PromptLibrary(),
                         ServiceMetrics("stitcher"))
    router = new_router(ctx)
    seen: list[str] = []

    @ctx.subscriber(router, topics.scenarios, description="a handler under test")
    async def handle(scenario: Scenario) -> None:
        seen.append(scenario.sample_id)
        if scenario.sample_id == "poison":
            raise RuntimeError("this handler always fails on poison")

    broker = KafkaBroker(settings.kafka_bootstrap, log_level=10)
    broker.include_router(router)
    await broker.start()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    yield ctx, producer, seen
    await producer.stop()
    await broker.stop()
    store.close()


async def dead_letters(ctx, expected: int, timeout_s: float = 60.0) -> list[dict]:
    consumer = AIOKafkaConsumer(ctx.topics.dead_letter, bootstrap_servers=ctx.settings.kafka_bootstrap,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    letters: list[dict] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(letters) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                letters += [json.loads(m.value) for msgs in batch.values() for m in msgs]
    finally:
        await consumer.stop()
    return letters


def scenario(sample_id: str) -> bytes:
    return Scenario(run_id="run-g", sample_id=sample_id, scenario_id="s", index=0
                    ).model_dump_json().encode()


async def test_invalid_and_poison_messages_are_dead_lettered_and_consumption_goes_on(guarded):
    ctx, producer, seen = guarded
    topic = ctx.topics.scenarios
    await producer.send_and_wait(topic, b"{not json")
    await producer.send_and_wait(topic, json.dumps({"run_id": "run-g", "index": -1}).encode())
    await producer.send_and_wait(topic, scenario("poison"))
    await producer.send_and_wait(topic, scenario("fine"))

    letters = await dead_letters(ctx, expected=3)
    by_kind = {}
    for letter in letters:
        by_kind.setdefault(letter["kind"], []).append(letter)
    invalid = by_kind["invalid_message"]
    assert len(invalid) == 2
    assert all(letter["reasons"] and letter["payload"] for letter in invalid)
    assert any("index" in " ".join(letter["reasons"]) for letter in invalid)
    assert {letter["payload"] for letter in invalid} >= {"{not json"}
    [poison] = by_kind["handler_failure"]
    assert "always fails on poison" in poison["reasons"][0]
    assert poison["sample_id"] == "poison" and poison["run_id"] == "run-g"
    # Delivered once, redelivered max_redeliveries times, then dead-lettered; then the
    # consumer moved on to the next message.
    assert seen.count("poison") == 1 + ctx.settings.max_redeliveries
    async with asyncio.timeout(30):
        while "fine" not in seen:
            await asyncio.sleep(0.2)
