"""The sink's writes and the validator's near-duplicate index against the real store.
(The sink's handler is driven through FastStream's in-memory test broker: the subject
here is what it writes, not the transport.)"""

from datetime import UTC, datetime

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from longweave.contracts import AcceptedSample, AxisScore, DeadLetter, Judgment
from longweave.observability import ServiceMetrics
from longweave.prompts import PromptLibrary
from longweave.runtime import ServiceContext
from longweave.settings import Settings
from longweave.sink.service import build_router
from longweave.store import Store
from longweave.topics import Topics
from longweave.validator.dedup import MongoLSHIndex
from longweave.validator.minhash import signature
from support.samples import make_draft, make_sample

pytestmark = pytest.mark.integration




async def seed_sample(store: Store, sample_id: str) -> None:
    await store.create_run({"_id": "run-s", "request_id": "req-s", "requested": 2,
                            "fanned_out": True, "status": "running",
                            "created_at": datetime.now(UTC)})
    await store.create_samples([make_sample(
        sample_id, params={"segments": 1, "turns_per_segment": 1},
        scenario={"domain": "finance"}, noise=["a", "b"], stage="checking")])
    await store.save_draft(make_draft({"messages": [{"role": "user", "content": "hi"}]},
                                      f"{sample_id}:a1", run_id="run-s", models=["gen"],
                                      prompt_versions={"segment": "s@v1"},
                                      validation={"passed": True, "checks": []}))


def accepted(sample_id: str) -> AcceptedSample:
    judgment = Judgment(run_id="run-s", sample_id=sample_id, attempt=1, draft_id=f"{sample_id}:a1",
                        passed=True, scores={"coherence": AxisScore(score=5, rationale="ok")},
                        model="judge", prompt_version="j@v2")
    return AcceptedSample(run_id="run-s", sample_id=sample_id, attempt=1,
                          draft_id=f"{sample_id}:a1", judgment=judgment)


async def test_redelivered_accepts_and_dead_letters_are_stored_once(store):
    settings = Settings(topic_prefix="sinktest")
    ctx = ServiceContext("sink", settings, Topics.with_prefix("sinktest"), store,
                         PromptLibrary(), ServiceMetrics("sink"))
    broker = KafkaBroker()
    broker.include_router(build_router(ctx))
    await seed_sample(store, "run-s-000000")
    await seed_sample(store, "run-s-000001")
    letter = DeadLetter(dead_letter_id="sample:run-s-000001", kind="attempts_exhausted",
                        source_topic="t", run_id="run-s", sample_id="run-s-000001",
                        reasons=["judge: coherence scored 1/5"])
    async with TestKafkaBroker(broker) as test_broker:
        for _ in range(2):  # at-least-once: every message may arrive twice
            await test_broker.publish(accepted("run-s-000000"), topic=ctx.topics.accepted)
            await test_broker.publish(letter, topic=ctx.topics.dead_letter)

    records = await store.db.records.find({"run_id": "run-s"}).to_list(None)
    assert [r["_id"] for r in records] == ["run-s-000000"]
    assert records[0]["scores"]["coherence"]["score"] == 5
    assert await store.db.dead_letters.count_documents({"run_id": "run-s"}) == 1
    run = await store.get_run("run-s")
    assert (run["status"], run["accepted"], run["dead_lettered"]) == ("complete", 1, 1)
    exposition = ctx.metrics.exposition().decode()
    # Labelled by the sample's paradigm; the dead letter's is read from the stored sample.
    assert 'longweave_samples_total{outcome="accepted",paradigm="conversation"} 1.0' \
        in exposition
    assert 'longweave_samples_total{outcome="dead_lettered",paradigm="conversation"} 1.0' \
        in exposition
    # The handlers' MongoDB commands are counted in the sink's registry.
    assert 'longweave_store_operations_total{collection="records",operation="insert"} 2.0' \
        in exposition
    indexes = await store.db.records.index_information()
    assert any(key[0][0] == "run_id" for key in (i["key"] for i in indexes.values()))


async def test_the_mongo_lsh_index_finds_copies_within_a_run_only(store):
    index = MongoLSHIndex(store)
    await index.ensure_indexes()
    text = " ".join(f"word{(i * 7919) % 1000}" for i in range(400))
    copy = text.replace("word7 ", "changed ", 1)
    await index.add("run-a", "run-a-000000", signature(text))
    await index.add("run-a", "run-a-000001", signature("entirely different words " * 3))
    match = await index.find_duplicate("run-a", "run-a-000009", signature(copy))
    assert match is not None and match.sample_id == "run-a-000000" and match.similarity > 0.9
    assert await index.find_duplicate("run-b", "run-b-000000", signature(copy)) is None
    # An earlier attempt of the same sample never counts as its duplicate.
    assert await index.find_duplicate("run-a", "run-a-000000", signature(copy)) is None


async def test_the_mongo_lsh_index_keeps_one_document_per_record_and_merges_no_distinct_ones(
        store):
    index = MongoLSHIndex(store)
    await index.ensure_indexes()
    texts = [" ".join(f"w{(i * 31 + k * 7) % 997}x{k}" for i in range(300)) for k in range(5)]
    for k, text in enumerate(texts):
        assert await index.find_duplicate("run-a", f"run-a-00000{k}", signature(text)) is None
        await index.add("run-a", f"run-a-00000{k}", signature(text))
    await index.add("run-a", "run-a-000004", signature(texts[4]))  # redelivered
    assert await store.db.dedup_signatures.count_documents({"run_id": "run-a"}) == 5
    # A second attempt of a sample replaces its entry: the first attempt's text is no
    # longer a record of the run.
    await index.add("run-a", "run-a-000000", signature(" ".join(f"v{i}" for i in range(300))))
    assert await store.db.dedup_signatures.count_documents({"run_id": "run-a"}) == 5
    assert await index.find_duplicate("run-a", "run-a-000009", signature(texts[0])) is None
    near = texts[3].replace("x3", "y3", 2)
    match = await index.find_duplicate("run-a", "run-a-000009", signature(near))
    assert match is not None and match.sample_id == "run-a-000003"
