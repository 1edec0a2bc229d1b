"""Idle consumers must not spin against a broker that answers empty fetches at once."""

import asyncio
import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from longweave.kafka_compat import pace_empty_fetches

pytestmark = pytest.mark.integration


async def test_paced_idle_consumers_use_little_cpu_and_still_receive(servers):
    pace_empty_fetches(0.2)
    topic = f"pace-{uuid.uuid4().hex[:8]}"
    consumers = [AIOKafkaConsumer(topic, bootstrap_servers=servers.kafka_bootstrap,
                                  group_id=f"pace-{i}-{topic}", auto_offset_reset="earliest")
                 for i in range(8)]
    for consumer in consumers:
        await consumer.start()
    try:
        started_cpu, started = time.process_time(), time.monotonic()
        await asyncio.sleep(3)
        cpu_share = (time.process_time() - started_cpu) / (time.monotonic() - started)
        # Unpaced, these 8 consumers kept one core busy (≈0.9 s of CPU per second).
        assert cpu_share < 0.3
        producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap)
        await producer.start()
        await producer.send_and_wait(topic, b"hello")
        await producer.stop()
        message = await asyncio.wait_for(consumers[0].getone(), 30)
        assert message.value == b"hello"
    finally:
        for consumer in consumers:
            await consumer.stop()
