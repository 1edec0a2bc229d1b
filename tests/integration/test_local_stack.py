"""LocalStack against the real servers: start, inspect, restart, stop, and its refusals.

Every test uses its own free ports and temporary home, so it never meets the session's
`servers` fixture nor a developer's running stack.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pymongo
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from longweave.settings import SERVICE_NAMES, Settings
from longweave.stack import COMPONENTS, LocalStack, StackError, free_loopback_ports

pytestmark = pytest.mark.integration


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    kafka_port, mongodb_port, llm_port, prometheus_port = free_loopback_ports(4)
    settings = Settings(
        kafka_bootstrap=f"127.0.0.1:{kafka_port}",
        mongodb_uri=f"mongodb://127.0.0.1:{mongodb_port}/?directConnection=true",
        llm_base_url=f"http://127.0.0.1:{llm_port}/v1",
        local_prometheus_address=f"127.0.0.1:{prometheus_port}",
        home=tmp_path / "home",
        local_llm_threads=1,
        local_llm_parallel=1,
        local_llm_ctx=2048,
    )
    stack = LocalStack(settings)
    yield stack
    stack.down()


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def write_pid_file(stack: LocalStack, name: str, pid: int) -> None:
    stack.pid_file(name).parent.mkdir(parents=True, exist_ok=True)
    stack.pid_file(name).write_text(f"{pid}\n")


def test_up_is_idempotent_and_down_stops_everything(stack: LocalStack) -> None:
    stack.up(with_monitoring=True)

    status = stack.status()
    assert all(s.running and s.ready and s.pid for s in status.values()), status
    pids = {name: s.pid for name, s in status.items()}
    models = httpx.get(f"{stack.settings.llm_base_url}/models", timeout=5).json()
    assert stack.settings.llm_model in [model["id"] for model in models["data"]]

    # Prometheus scrapes the six services' ports and has the mesh's alert rules loaded.
    prometheus = f"http://{stack.settings.local_prometheus_address}/api/v1"
    deadline = time.monotonic() + 30  # its scrape manager picks the targets up after start
    while not (targets := httpx.get(f"{prometheus}/targets", timeout=5).json()["data"][
            "activeTargets"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sorted(t["labels"]["container"] for t in targets) == sorted(SERVICE_NAMES)
    assert {t["scrapeUrl"] for t in targets} == {
        f"http://127.0.0.1:{stack.settings.ports.of(name)}/metrics" for name in SERVICE_NAMES}
    groups = httpx.get(f"{prometheus}/rules", timeout=5).json()["data"]["groups"]
    assert "LongweaveConsumerLagGrowing" in {r["name"] for g in groups for r in g["rules"]}

    stack.up(with_monitoring=True)
    assert {name: s.pid for name, s in stack.status().items()} == pids

    stack.down()
    status = stack.status()
    assert not any(s.running or s.ready or s.pid for s in status.values()), status
    assert not any(stack.pid_file(name).exists() for name in COMPONENTS)
    assert not any(pid_exists(pid) for pid in pids.values() if pid)


def test_down_is_idempotent(stack: LocalStack) -> None:
    stack.down()
    stack.down()
    assert not any(s.running for s in stack.status().values())


def test_stale_pid_file_of_a_dead_process_is_replaced(stack: LocalStack) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    write_pid_file(stack, "kafka", dead.pid)
    assert stack.status()["kafka"].pid is None

    stack.up(only=["kafka"])

    kafka = stack.status()["kafka"]
    assert kafka.running and kafka.ready and kafka.pid != dead.pid


def test_pid_file_of_an_unrelated_process_is_never_signalled(stack: LocalStack) -> None:
    with subprocess.Popen(["sleep", "60"]) as unrelated:
        try:
            write_pid_file(stack, "mongodb", unrelated.pid)
            assert not stack.status()["mongodb"].running

            stack.down()
            assert unrelated.poll() is None
            assert not stack.pid_file("mongodb").exists()

            stack.up(only=["mongodb"])
            mongodb = stack.status()["mongodb"]
            assert mongodb.ready and mongodb.pid != unrelated.pid
        finally:
            unrelated.kill()


def test_port_taken_by_another_process_is_refused_before_anything_starts(
    stack: LocalStack,
) -> None:
    host, port = stack.address("mongodb")
    refused = pytest.raises(StackError, match=rf"mongodb.*{port} is already in use")
    with socket.create_server((host, port)), refused as error:
        stack.up()
    assert "LONGWEAVE_MONGODB_URI" in str(error.value)
    assert not any(s.running for s in stack.status().values())


def test_a_server_that_dies_at_start_reports_its_log(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash = "import sys; print('kafka went boom', file=sys.stderr); sys.exit(3)"
    monkeypatch.setattr(stack, "_command", lambda name: [sys.executable, "-c", crash])

    with pytest.raises(StackError, match="kafka exited while starting") as error:
        stack.up(only=["kafka"])
    assert "kafka went boom" in str(error.value)


def test_a_server_that_never_gets_ready_is_stopped_after_the_timeout(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pid_record = tmp_path / "hanging.pid"
    hang = f"import os, time; open({str(pid_record)!r}, 'w').write(str(os.getpid())); time.sleep(9)"
    monkeypatch.setattr(stack, "_command", lambda name: [sys.executable, "-c", hang])

    with pytest.raises(StackError, match="kafka not ready"):
        stack.up(only=["kafka"], timeout_s=1.0)
    assert not stack.pid_file("kafka").exists()
    assert not pid_exists(int(pid_record.read_text()))


async def test_topics_offsets_and_documents_survive_a_restart(stack: LocalStack) -> None:
    stack.up(with_llm=False)
    bootstrap = stack.settings.kafka_bootstrap
    await create_topic_with_committed_offset(bootstrap, "survivor", group="g", offset=2)
    with pymongo.MongoClient(stack.settings.mongodb_uri) as client:
        client.longweave.survivors.insert_one({"_id": "kept"})

    stack.down()
    stack.up(with_llm=False)

    assert await committed_offset(bootstrap, "survivor", group="g") == 2
    with pymongo.MongoClient(stack.settings.mongodb_uri) as client:
        assert client.longweave.survivors.find_one({"_id": "kept"}) == {"_id": "kept"}


async def create_topic_with_committed_offset(
    bootstrap: str, topic: str, group: str, offset: int
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for index in range(offset + 1):
            await producer.send_and_wait(topic, f"m{index}".encode())
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        await consumer.getone()  # joins the group and gets the partition assigned
        await consumer.commit({TopicPartition(topic, 0): offset})
    finally:
        await consumer.stop()


async def committed_offset(bootstrap: str, topic: str, group: str) -> int | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        return await consumer.committed(TopicPartition(topic, 0))
    finally:
        await consumer.stop()
