"""Topic creation and the store's idempotent writes, against the real broker and store."""

import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from longweave.contracts.records import AttemptFailure, SegmentRef
from longweave.kafka_admin import ensure_topics
from longweave.settings import Settings
from longweave.topics import Topics
from support.samples import make_sample

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




def sample(sample_id="run-1-000000", **fields):
    return make_sample(sample_id, **fields)


def failure(attempt):
    return AttemptFailure(attempt=attempt, stage="validator", reasons=["x"], at="now")


async def test_samples_and_runs_are_written_once(store):
    await store.create_samples([sample()])
    await store.create_samples([sample(stage="generating")])
    assert (await store.get_sample("run-1-000000")).stage == "queued"
    run = {"_id": "run-1", "request_id": "req-1", "requested": 1}
    assert (await store.create_run(run))[1] is True
    again, created = await store.create_run({**run, "_id": "run-2"})  # same request id
    assert created is False and again["_id"] == "run-1"


async def test_a_new_attempt_begins_once_even_when_the_request_is_redelivered(store):
    await store.create_run({"_id": "run-1", "request_id": "r", "requested": 1})
    await store.create_samples([sample()])
    first = await store.begin_attempt("run-1-000000", 1, [1], ["too short"], failure(1),
                                      origin="validator:a")
    again = await store.begin_attempt("run-1-000000", 1, [1], ["too short"], failure(1),
                                      origin="validator:a")
    assert first.attempt == again.attempt == 2
    assert len(again.history) == 1 and again.feedback == ["too short"]
    # Another failure of the same attempt (a unit failing beside another) begins nothing.
    assert await store.begin_attempt("run-1-000000", 1, [2], ["unit 2"], failure(1),
                                     origin="generator:b") is None
    # A request about an attempt the sample has left behind is stale.
    await store.begin_attempt("run-1-000000", 2, [], ["judge"], failure(2))
    assert await store.begin_attempt("run-1-000000", 1, [1], ["late"], failure(1)) is None
    # Counted once, however often it was asked for and however many attempts followed.
    assert (await store.get_run("run-1"))["regenerated"] == 1


async def test_a_sample_starts_from_its_first_attempt_and_a_stale_scenario_is_told_apart(
        store):
    await store.create_samples([sample(), sample("run-1-000001", stage="checking"),
                                sample("run-1-000002", attempt=2, stage="generating"),
                                sample("run-1-000003", stage="generating")])
    assert (await store.sample_to_start("run-1-000000")).stage == "queued"
    # Redelivered after its first unit was recorded: it starts again (the unit is reused).
    assert (await store.sample_to_start("run-1-000003")).stage == "generating"
    assert await store.sample_to_start("run-1-000001") is None
    assert await store.sample_to_start("run-1-000002") is None
    assert await store.sample_to_start("run-1-000009") is None
    # Nothing is written.
    assert (await store.get_sample("run-1-000000")).stage == "queued"
    assert (await store.get_sample("run-1-000001")).stage == "checking"


async def test_a_segment_is_recorded_on_its_attempt_only(store):
    await store.create_samples([sample()])
    ref = SegmentRef(id="run-1-000000:a1:s0", summary="sum")
    await store.record_segment("run-1-000000", 1, 0, ref, stage="checking")
    await store.record_segment("run-1-000000", 2, 1, SegmentRef(id="late"), stage="generating")
    recorded = await store.get_sample("run-1-000000")
    assert recorded.segments == {"a1": {"s0": ref}}
    assert recorded.stage == "checking"


async def test_a_sample_finishes_once(store):
    await store.create_samples([sample()])
    assert await store.finish_sample("run-1-000000", "accepted", {}) is True
    assert await store.finish_sample("run-1-000000", "accepted", {}) is False
    assert await store.finish_sample("run-1-000000", "dead_lettered", {}) is False
    assert (await store.get_sample("run-1-000000")).stage == "accepted"


async def test_a_sample_of_another_run_is_not_finished(store):
    await store.create_samples([sample()])
    assert await store.finish_sample("run-1-000000", "accepted", {}, run_id="run-2") is False
    assert (await store.get_sample("run-1-000000")).stage == "queued"


async def test_a_run_completes_when_its_last_sample_ends_counted_once(store):
    await store.create_run({"_id": "run-1", "request_id": "r", "requested": 2,
                            "fanned_out": True, "status": "running"})
    await store.create_samples([sample("run-1-000000"), sample("run-1-000001")])
    for _ in range(2):  # redelivered: each sample ends, and is counted, once
        await store.finish_sample("run-1-000000", "accepted", {}, run_id="run-1")
    run = await store.get_run("run-1")
    assert (run["status"], run["accepted"]) == ("running", 1)
    assert await store.complete_run_if_done("run-1") is False
    for _ in range(2):
        await store.finish_sample("run-1-000001", "dead_lettered", {})
    run = await store.get_run("run-1")
    assert (run["status"], run["accepted"], run["dead_lettered"]) == ("complete", 1, 1)
    assert run["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "calls": 0}
    assert await store.complete_run_if_done("run-1") is False


async def test_a_run_whose_samples_ended_before_the_fan_out_finished_completes_then(store):
    await store.create_run({"_id": "run-1", "request_id": "r", "requested": 1,
                            "status": "sampling"})
    await store.create_samples([sample()])
    await store.finish_sample("run-1-000000", "accepted", {})
    assert (await store.get_run("run-1"))["status"] == "sampling"
    await store.update_run("run-1", {"fanned_out": True, "status": "running"})
    assert await store.complete_run_if_done("run-1") is True
    assert (await store.get_run("run-1"))["status"] == "complete"


async def test_a_count_lost_to_a_crash_is_recovered_by_the_redelivery(store):
    """A sink that died between ending the last sample and counting it: the redelivered
    message finds the sample finished, and the samples themselves complete the run."""
    await store.create_run({"_id": "run-1", "request_id": "r", "requested": 2,
                            "fanned_out": True, "status": "running"})
    await store.create_samples([sample("run-1-000000"), sample("run-1-000001", attempt=2)])
    await store.finish_sample("run-1-000000", "accepted", {})
    await store.db.samples.update_one({"_id": "run-1-000001"},
                                      {"$set": {"stage": "accepted"}})  # its count is lost
    assert await store.finish_sample("run-1-000001", "accepted", {}) is False
    assert await store.complete_run_if_done("run-1") is True
    run = await store.get_run("run-1")
    assert (run["status"], run["accepted"], run["regenerated"]) == ("complete", 2, 1)


async def test_run_status_counts_finished_samples_on_the_run_and_the_rest_by_stage(store):
    from longweave.client import run_status

    await store.create_run({"_id": "run-1", "request_id": "r", "requested": 4,
                            "fanned_out": True, "status": "running"})
    await store.create_samples([sample(f"run-1-00000{i}", stage=stage)
                                for i, stage in enumerate(("queued", "checking", "checking",
                                                           "generating"))])
    await store.finish_sample("run-1-000001", "accepted", {})
    await store.begin_attempt("run-1-000003", 1, [], ["too short"], failure(1))
    status = await run_status(store, "run-1")
    assert {k: v for k, v in status["stages"].items() if v} == {
        "queued": 1, "checking": 1, "generating": 1, "accepted": 1}
    assert (status["done"], status["regenerated"], status["finished"]) == (1, 1, False)


async def test_a_stopped_run_ends_as_cancelled(store):
    await store.create_run({"_id": "run-1", "request_id": "r", "requested": 1,
                            "fanned_out": True, "status": "running"})
    await store.create_samples([sample()])
    assert await store.request_stop("run-1", "cancelled") is True
    assert await store.stop_requested("run-1") == "cancelled"
    await store.finish_sample("run-1-000000", "stopped", {})
    assert await store.complete_run_if_done("run-1") is False  # done by the finish
    run = await store.get_run("run-1")
    assert (run["status"], run["stopped"]) == ("cancelled", 1)


async def test_unpublished_samples_of_a_stopped_run_are_counted_stopped(store):
    await store.create_run({"_id": "run-1", "request_id": "r", "requested": 3,
                            "status": "sampling"})
    await store.create_samples([sample(f"run-1-00000{i}") for i in range(3)])
    await store.request_stop("run-1", "cancelled")
    assert await store.stop_unpublished_samples("run-1", 1, "cancelled") == 2
    await store.finish_sample("run-1-000000", "stopped", {})
    await store.update_run("run-1", {"fanned_out": True, "status": "running"})
    assert await store.complete_run_if_done("run-1") is True
    run = await store.get_run("run-1")
    assert (run["status"], run["stopped"]) == ("cancelled", 3)
