"""Topic creation and the store's idempotent writes, against the real broker and store."""

import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from longweave.kafka_admin import ensure_topics
from longweave.settings import Settings
from longweave.topics import Topics

pytestmark = pytest.mark.integration


async def test_topics_are_created_once_with_the_configured_partitions(servers):
    settings = Settings(kafka_bootstrap=servers.kafka_bootstrap,
                        topic_prefix=f"tp{uuid.uuid4().hex[:8]}", topic_partitions=4)
    topics = Topics.with_prefix(settings.topic_prefix)
    assert sorted(await ensure_topics(settings, topics)) == sorted(topics.all())
    assert await ensure_topics(settings, topics) == []
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topics.segment_tasks])
        assert len(described[0]["partitions"]) == 4
    finally:
        await admin.close()




def sample(sample_id="run-1-000000"):
    return {"_id": sample_id, "run_id": "run-1", "attempt": 1, "stage": "queued",
            "redo_indexes": [], "history": [], "segments": {}}


async def test_samples_and_runs_are_written_once(store):
    await store.create_samples([sample()])
    await store.create_samples([{**sample(), "stage": "overwritten?"}])
    assert (await store.get_sample("run-1-000000"))["stage"] == "queued"
    run = {"_id": "run-1", "request_id": "req-1", "requested": 1}
    assert (await store.create_run(run))[1] is True
    again, created = await store.create_run({**run, "_id": "run-2"})  # same request id
    assert created is False and again["_id"] == "run-1"


async def test_a_new_attempt_begins_once_even_when_the_request_is_redelivered(store):
    await store.create_samples([sample()])
    first = await store.begin_attempt("run-1-000000", 1, [1], ["too short"], {"attempt": 1})
    again = await store.begin_attempt("run-1-000000", 1, [1], ["too short"], {"attempt": 1})
    assert first["attempt"] == again["attempt"] == 2
    assert len(again["history"]) == 1 and again["feedback"] == ["too short"]
    # A request about an attempt the sample has left behind is stale.
    await store.begin_attempt("run-1-000000", 2, [], ["judge"], {"attempt": 2})
    assert await store.begin_attempt("run-1-000000", 1, [1], ["late"], {"attempt": 1}) is None


async def test_a_sample_finishes_once(store):
    await store.create_samples([sample()])
    assert await store.finish_sample("run-1-000000", "accepted", {}) is True
    assert await store.finish_sample("run-1-000000", "accepted", {}) is False
    assert await store.finish_sample("run-1-000000", "dead_lettered", {}) is False
    assert (await store.get_sample("run-1-000000"))["stage"] == "accepted"


async def test_a_run_completes_when_every_sample_ended(store):
    await store.create_run({"_id": "run-1", "request_id": "r", "requested": 2,
                            "fanned_out": True, "status": "running"})
    await store.create_samples([sample("run-1-000000"), sample("run-1-000001")])
    await store.finish_sample("run-1-000000", "accepted", {})
    assert await store.complete_run_if_done("run-1") is False
    await store.finish_sample("run-1-000001", "dead_lettered", {})
    assert await store.complete_run_if_done("run-1") is True
    assert await store.complete_run_if_done("run-1") is False
    run = await store.get_run("run-1")
    assert (run["status"], run["accepted"], run["dead_lettered"]) == ("complete", 1, 1)


async def test_a_stopped_run_ends_as_cancelled(store):
    await store.create_run({"_id": "run-1", "request_id": "r", "requested": 1,
                            "fanned_out": True, "status": "running"})
    await store.create_samples([sample()])
    assert await store.request_stop("run-1", "cancelled") is True
    assert await store.stop_requested("run-1") == "cancelled"
    await store.finish_sample("run-1-000000", "stopped", {})
    await store.complete_run_if_done("run-1")
    assert (await store.get_run("run-1"))["status"] == "cancelled"
