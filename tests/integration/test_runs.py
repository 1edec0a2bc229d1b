"""What `status` and `runs` read of runs, against the real store: requests recorded as
they are published, the listing and its filters, failure reasons (among them the
sampler's, for a request whose filters match no scenario), throughput and ETA."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from longweave import client
from longweave.client import build_request, publish_request, run_status
from longweave.contracts import ScenarioRequest
from longweave.observability import ServiceMetrics
from longweave.prompts import PromptLibrary
from longweave.runs import (
    PUBLISHED,
    failure_reasons,
    list_runs,
    recent_completion_times,
    record_published,
    run_known,
)
from longweave.runtime import ServiceContext
from longweave.settings import Settings
from longweave.store import Store
from longweave.topics import Topics
from support.samples import make_sample

pytestmark = pytest.mark.integration

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def request(run_id: str, paradigm: str = "conversation", count: int = 3,
            **fields) -> ScenarioRequest:
    return ScenarioRequest(run_id=run_id, request_id=f"req-{run_id}", paradigm=paradigm,
                           count=count, **fields)


async def add_run(store: Store, run_id: str, status: str, created_at: datetime,
                  paradigm: str = "conversation", **fields) -> None:
    await store.create_run({"_id": run_id, "request_id": f"req-{run_id}",
                            "request": {"paradigm": paradigm}, "requested": 4,
                            "status": status, "created_at": created_at, **fields})


async def test_a_published_request_is_recorded_once_and_makes_its_run_known(store):
    assert await run_known(store, "run-p") is False
    await record_published(store, request("run-p"))
    first = await store.db[PUBLISHED].find_one({"_id": "run-p"})
    await record_published(store, request("run-p", count=9))  # a second publish: no change
    assert await store.db[PUBLISHED].find_one({"_id": "run-p"}) == first
    assert (first["request_id"], first["paradigm"], first["count"]) == (
        "req-run-p", "conversation", 3)
    assert first["request"]["run_id"] == "run-p"
    assert isinstance(first["published_at"], datetime)
    assert await run_known(store, "run-p") is True

    await add_run(store, "run-s", "running", T0)  # read by the sampler, never published here
    assert await run_known(store, "run-s") is True
    assert await run_known(store, "run-typo") is False


async def test_runs_are_listed_newest_first_with_published_ones_and_filtered(store):
    await add_run(store, "run-old", "complete", T0 - timedelta(days=3), paradigm="claims",
                  accepted=3, dead_lettered=1,
                  llm_usage={"prompt_tokens": 1000, "completion_tokens": 200,
                             "cost_usd": 0.25, "by_role": {"generator": {"calls": 3}}})
    await add_run(store, "run-mid", "failed", T0 - timedelta(hours=5), error="no scenario")
    await add_run(store, "run-new", "running", T0 - timedelta(minutes=10), accepted=1)
    await record_published(store, request("run-new"))  # read since: listed once, as a run
    await record_published(store, request("run-waiting", paradigm="claims"))

    rows = await list_runs(store)
    assert [r["run_id"] for r in rows] == ["run-waiting", "run-new", "run-mid", "run-old"]
    waiting, new, _, old = rows
    assert (waiting["state"], waiting["paradigm"], waiting["requested"], waiting["tokens"]) \
        == ("published", "claims", 3, None)
    assert (new["state"], new["accepted"], new["tokens"], new["cost_usd"]) == (
        "running", 1, None, None)
    assert old == {"run_id": "run-old", "paradigm": "claims", "created": T0 - timedelta(days=3),
                   "state": "complete", "requested": 4, "accepted": 3, "dead_lettered": 1,
                   "stopped": 0, "tokens": 1200, "cost_usd": 0.25}

    def ids(found):
        return [r["run_id"] for r in found]

    assert ids(await list_runs(store, status="failed")) == ["run-mid"]
    assert ids(await list_runs(store, status="published")) == ["run-waiting"]
    assert ids(await list_runs(store, paradigm="claims")) == ["run-waiting", "run-old"]
    assert ids(await list_runs(store, since=T0 - timedelta(hours=6))) == [
        "run-waiting", "run-new", "run-mid"]
    assert ids(await list_runs(store, status="running", since=T0 - timedelta(hours=1))) == [
        "run-new"]
    assert ids(await list_runs(store, paradigm="claims", since=T0 - timedelta(days=1))) == [
        "run-waiting"]
    assert await list_runs(store, status="cancelled") == []


async def test_failure_reasons_group_dead_letters_and_put_a_failed_runs_error_first(store):
    await add_run(store, "run-f", "failed", T0, error="the corpus is gone")
    for n, tokens in enumerate((812, 790, 1300)):
        await store.save_dead_letter({
            "_id": f"sample:run-f-00000{n}", "kind": "attempts_exhausted", "run_id": "run-f",
            "sample_id": f"run-f-00000{n}",
            "reasons": [f"token_window: {tokens} tokens outside 900-1100"]})
    await store.save_dead_letter({
        "_id": "sample:run-f-000009", "kind": "attempts_exhausted", "run_id": "run-f",
        "sample_id": "run-f-000009", "reasons": ["judge: coherence scored 1/5 (needs 3): x"]})
    await store.save_dead_letter({"_id": "sample:other-000000", "kind": "attempts_exhausted",
                                  "run_id": "other", "sample_id": "other-000000",
                                  "reasons": ["judge: coherence scored 1/5 (needs 3): y"]})
    run = await store.get_run("run-f")
    assert await failure_reasons(store, run, n=1) == [
        {"reason": "the corpus is gone", "count": 1, "example_sample": None},
        {"reason": "token_window: 812 tokens outside 900-1100", "count": 3,
         "example_sample": "run-f-000000"},
    ]
    assert len(await failure_reasons(store, run)) == 3
    assert await failure_reasons(store, {"_id": "run-typo"}) == []


async def test_a_request_whose_filters_match_nothing_fails_with_the_reason(store):
    """`publish --count 3 --filter domain=nonexistent`: the sampler creates the run, marks
    it failed with the problem and dead-letters the request under the run's id; the sink
    stores the letter. `status` shows the reason once."""
    from longweave.sampler.service import build_router as sampler_router
    from longweave.sampler.service import startup
    from longweave.sink.service import build_router as sink_router

    settings = Settings(topic_prefix="runstest")
    topics = Topics.with_prefix("runstest")
    sampler = ServiceContext("sampler", settings, topics, store, PromptLibrary(),
                             ServiceMetrics("sampler"))
    sink = ServiceContext("sink", settings, topics, store, PromptLibrary(),
                          ServiceMetrics("sink"))
    await startup(sampler)  # the scenario catalog
    broker = KafkaBroker()
    broker.include_router(sampler_router(sampler))
    broker.include_router(sink_router(sink))
    typo = build_request({"run_id": "run-typo-filter", "count": 3,
                          "filters": {"domain": "nonexistent"}})
    await record_published(store, typo)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(typo, topic=topics.scenario_requests)

    run = await store.get_run("run-typo-filter")
    assert run["status"] == "failed"
    assert run["error"].startswith("filters.domain: no scenario has 'nonexistent'")
    letters = await store.db.dead_letters.find({"run_id": "run-typo-filter"}).to_list(None)
    assert [(d["kind"], d["reasons"]) for d in letters] == [
        ("invalid_message", [run["error"]])]
    reasons = await failure_reasons(store, run)
    assert reasons == [{"reason": run["error"], "count": 1, "example_sample": None}]

    status = await run_status(store, "run-typo-filter")
    assert (status["known"], status["status"], status["finished"], status["requested"],
            status["done"]) == (True, "failed", True, 3, 0)
    assert status["reasons"] == reasons and status["paradigm"] == "conversation"
    assert (status["throughput_per_min"], status["eta_s"]) == (None, None)


async def test_run_status_of_a_published_an_unknown_and_a_running_run(store):
    await record_published(store, request("run-waiting", paradigm="claims"))
    waiting = await run_status(store, "run-waiting")
    assert (waiting["known"], waiting["status"], waiting["paradigm"], waiting["requested"],
            waiting["finished"], waiting["reasons"]) == (
        True, "published", "claims", None, False, [])
    assert isinstance(waiting["created_at"], datetime)
    unknown = await run_status(store, "run-typo")
    assert (unknown["known"], unknown["status"], unknown["created_at"]) == (
        False, "unknown", None)

    created = datetime.now(UTC) - timedelta(minutes=2)
    await add_run(store, "run-1", "running", created, requested=10, fanned_out=True)
    await store.create_samples([make_sample(f"run-1-00000{i}") for i in range(6)])
    for i in range(4):
        await store.finish_sample(f"run-1-00000{i}", "accepted", {})
    await store.save_dead_letter({"_id": "sample:run-1-000004", "kind": "attempts_exhausted",
                                  "run_id": "run-1", "sample_id": "run-1-000004",
                                  "reasons": ["pii: turn 2 has an email"]})
    await store.finish_sample("run-1-000004", "dead_lettered", {})
    # Ended a while ago: one completion a minute, over the last four minutes.
    for i, minutes in enumerate((4, 3, 2, 1)):
        await store.db.samples.update_one(
            {"_id": f"run-1-00000{i}"},
            {"$set": {"updated_at": datetime.now(UTC) - timedelta(minutes=minutes)}})
    await store.db.samples.update_one(
        {"_id": "run-1-000004"}, {"$set": {"updated_at": datetime.now(UTC) - timedelta(hours=1)}})

    status = await run_status(store, "run-1")
    assert (status["known"], status["status"], status["paradigm"]) == (
        True, "running", "conversation")
    assert abs(status["created_at"] - created) < timedelta(milliseconds=1)  # as stored
    assert (status["done"], status["stages"]["accepted"], status["stages"]["dead_lettered"]) \
        == (5, 4, 1)
    assert status["throughput_per_min"] == pytest.approx(0.75, rel=0.05)  # 3 gaps in 4 min
    assert status["eta_s"] == pytest.approx(5 / 0.75 * 60, rel=0.05)  # 5 samples to go
    assert status["reasons"] == [{"reason": "pii: turn 2 has an email", "count": 1,
                                  "example_sample": "run-1-000004"}]


async def test_recent_completions_are_read_through_the_index(store):
    await store.create_samples([make_sample(f"run-1-00000{i}") for i in range(3)])
    await store.create_samples([make_sample(f"run-2-00000{i}") for i in range(3)])
    since = datetime.now(UTC) - timedelta(seconds=1)
    for sample_id in ("run-1-000000", "run-1-000001", "run-2-000000"):
        await store.finish_sample(sample_id, "accepted", {})
    times = await recent_completion_times(store, "run-1", since)
    assert len(times) == 2 and all(t >= since for t in times)
    assert await recent_completion_times(store, "run-1", datetime.now(UTC)) == []

    indexes = await store.db.samples.index_information()
    assert "run_id_1_stage_1_updated_at_1" in indexes and "run_id_1_stage_1" not in indexes
    plan = await store.db.command({"explain": {"find": "samples", "filter": {
        "run_id": "run-1", "stage": "accepted", "updated_at": {"$gte": since}}},
        "verbosity": "executionStats"})
    assert "IXSCAN" in str(plan) and "COLLSCAN" not in str(plan)


async def test_the_superseded_samples_index_is_dropped(store):
    await store.db.samples.create_index([("run_id", 1), ("stage", 1)])
    await store.ensure_indexes()  # again, as each service does at its start
    assert "run_id_1_stage_1" not in await store.db.samples.index_information()


async def test_publishing_records_the_request_and_survives_an_unreachable_store(
        servers, monkeypatch, caplog):
    import uuid

    db_name = f"it_{uuid.uuid4().hex[:8]}"
    settings = Settings(kafka_bootstrap=servers.kafka_bootstrap,
                        mongodb_uri=servers.mongodb_uri, mongodb_db=db_name,
                        topic_prefix=f"pub{uuid.uuid4().hex[:6]}")
    store = Store(servers.mongodb_uri, db_name)
    try:
        run_id = await publish_request(settings, build_request({"count": 2}))
        assert await run_known(store, run_id)
        assert (await run_status(store, run_id))["status"] == "published"
    finally:
        await store.client.drop_database(db_name)
        store.close()

    monkeypatch.setattr(client, "PUBLISHED_RECORD_TIMEOUT_MS", 300)
    nowhere = settings.model_copy(update={
        "mongodb_uri": "mongodb://127.0.0.1:9/?directConnection=true"})
    with caplog.at_level(logging.WARNING, logger="longweave.client"):
        run_id = await publish_request(nowhere, build_request({"count": 2}))
    assert run_id.startswith("run-")
    assert f"run {run_id} is published, but the store could not note it" in caplog.text
