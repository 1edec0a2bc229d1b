"""Purging consumed hop records on a real broker: what was committed goes, the rest and
the topics that are not hops stay, and a failed purge is kept for the next one."""

import socket
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from longweave.kafka_purge import ConsumedRecordsPurger
from longweave.settings import Settings

pytestmark = pytest.mark.integration


async def produce(bootstrap: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for i in range(count):
            await producer.send_and_wait(topic, f"m{i}".encode(), partition=0)
    finally:
        await producer.stop()


async def first_offsets(bootstrap: str, *partitions: TopicPartition) -> list[int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        found = await consumer.beginning_offsets(list(partitions))
        return [found[p] for p in partitions]
    finally:
        await consumer.stop()


async def test_records_below_the_committed_offset_of_a_hop_are_deleted(servers):
    hop, other = (TopicPartition(f"purge-{name}-{uuid.uuid4().hex[:8]}", 0)
                  for name in ("hop", "other"))
    for partition in (hop, other):
        await produce(servers.kafka_bootstrap, partition.topic, 10)
    settings = Settings(kafka_bootstrap=servers.kafka_bootstrap)
    purger = ConsumedRecordsPurger(settings, {hop.topic}, interval_s=30)
    purger.queue.committed({hop: 6, other: 6})
    assert await purger.purge() == 1
    assert await first_offsets(servers.kafka_bootstrap, hop, other) == [6, 0]
    # What is left is still read from where the group stands.
    consumer = AIOKafkaConsumer(bootstrap_servers=servers.kafka_bootstrap)
    await consumer.start()
    try:
        consumer.assign([hop])
        consumer.seek(hop, 6)
        batch = await consumer.getmany(hop, timeout_ms=5000)
        assert [r.value for r in batch[hop]][:1] == [b"m6"]
    finally:
        await consumer.stop()
    await purger.stop()


async def test_a_failed_purge_is_kept_for_the_next_one():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = Settings(kafka_bootstrap=f"127.0.0.1:{port}")
    purger = ConsumedRecordsPurger(dead, {"lw.segments"}, interval_s=30)
    purger.queue.committed({TopicPartition("lw.segments", 0): 4})
    assert await purger.purge() == 0
    assert purger.queue.take() == {TopicPartition("lw.segments", 0): 4}
