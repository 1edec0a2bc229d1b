"""End to end over the real broker and store, with the scripted test server as the model:
the regeneration loop, dead letters, and calls that outlast the consumer session."""

import asyncio
import time

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from longweave.testing.scripted_llm_server import ScriptedLLMServer
from longweave.topics import Topics
from support.mesh import metric_value
from support.scripted import SUMMARY_RULE, rules_for_city

pytestmark = pytest.mark.e2e

LYON = "fin-invoice-dispute-lyon"
NAIROBI = "health-clinic-booking-nairobi"
MUNICH = "travel-rail-delay-munich"
REQUEST = dict(paradigm="conversation", count=1, judge_min_score=3,
               params={"segments": 2, "turns_per_segment": 2, "target_tokens": 200,
                       "length_tolerance": 0.5},
               complexity=0)  # scripted replies cannot follow verifiable constraint layers


@pytest.fixture
def llm():
    server = ScriptedLLMServer().start_in_thread()
    yield server
    server.stop_thread()


async def test_failed_judgments_regenerate_then_accept_or_dead_letter(start_mesh, llm, tmp_path):
    llm.set_rules([
        *rules_for_city("Lyon", judge_scores=[1, 5]),      # fails once, then passes
        *rules_for_city("Nairobi", judge_scores=[2]),      # fails every time
        SUMMARY_RULE,
    ])
    mesh = start_mesh(llm_base_url=llm.base_url, LONGWEAVE_KAFKA_PURGE_INTERVAL_S="1")
    once = await mesh.publish(**REQUEST, max_attempts=3, filters={"scenario_id": LYON})
    always = await mesh.publish(**REQUEST, max_attempts=2, filters={"scenario_id": NAIROBI})

    status = await mesh.wait(once, timeout_s=120)
    assert status["stages"]["accepted"] == 1 and status["regenerated"] == 1
    status = await mesh.wait(always, timeout_s=120)
    assert status["stages"]["dead_lettered"] == 1 and status["stages"]["accepted"] == 0

    db = mesh.store.db
    # Regenerated and accepted: one record, made by the second attempt, with its history.
    records = await db.records.find({"run_id": once}).to_list(None)
    assert len(records) == 1
    record = records[0]
    assert record["attempts"] == 2
    assert record["history"][0]["stage"] == "judge"
    assert "coherence scored 1/5" in record["history"][0]["reasons"][0]
    assert {a["score"] for a in record["scores"].values()} == {5}
    drafts = await db.drafts.find({"run_id": once}).sort("attempt").to_list(None)
    assert [d["judgment"]["passed"] for d in drafts] == [False, True]
    assert drafts[0]["rejected"]["stage"] == "judge"  # kept, with why
    assert "coherence scored 1/5" in drafts[0]["rejected"]["reasons"][0]
    assert "rejected" not in drafts[1]

    # Always failing: dead letter after max_attempts, with reasons and the full history.
    letters = await db.dead_letters.find({"run_id": always}).to_list(None)
    assert len(letters) == 1
    letter = letters[0]
    assert letter["kind"] == "attempts_exhausted"
    assert all(r.startswith("judge: ") for r in letter["reasons"])
    assert "judge: coherence scored 2/5 (needs 3)" in letter["reasons"][0]
    assert letter["reasons"][-1] == "judge: mean score 2.00 is under 3"
    assert [h["attempt"] for h in letter["history"]] == [1, 2]
    assert await db.records.count_documents({"run_id": always}) == 0

    # Nothing done twice: each LLM call happened exactly as often as the flow requires.
    hits = llm.stats()["rule_hits"]
    assert hits["judge-Lyon"] == 2 and hits["judge-Nairobi"] == 2
    assert hits["segment-Lyon-0"] == 2 and hits["segment-Lyon-1"] == 2  # whole record redone
    # Two short segments: the second reads the first verbatim, so no summary is asked for.
    assert hits.get("summary", 0) == 0
    assert await db.llm_calls.count_documents({"run_id": once}) == 2 * 3  # 2 segments, 1 judge
    sink_metrics = mesh.metrics("sink")
    assert metric_value(sink_metrics, "longweave_samples_total", outcome="accepted") == 1
    assert metric_value(sink_metrics, "longweave_samples_total", outcome="dead_lettered") == 1
    assert metric_value(sink_metrics, "longweave_sample_seconds_count",
                        paradigm="conversation") == 1  # the accepted one
    # Three rejections (Lyon's first attempt, both of Nairobi's), by the axis that failed.
    assert metric_value(mesh.metrics("judge"), "longweave_judge_rejections_total",
                        paradigm="conversation", axis="coherence") == 3

    exports_load_in_datasets(mesh, once, tmp_path)
    await consumed_hops_are_purged_and_dead_letters_kept(mesh)
    assert mesh.stop() == 0


async def consumed_hops_are_purged_and_dead_letters_kept(mesh):
    """Once everything is consumed and committed, the hop topics hold nothing (kafka_purge);
    the dead letters stay for people to read."""
    topics = Topics.with_prefix(mesh.settings.topic_prefix)
    consumer = AIOKafkaConsumer(bootstrap_servers=mesh.settings.kafka_bootstrap)
    await consumer.start()
    try:
        async def held(topic: str) -> tuple[int, int]:
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)
                     or await _partitions(consumer, topic)]
            first, end = (await consumer.beginning_offsets(parts),
                          await consumer.end_offsets(parts))
            return sum(end[p] - first[p] for p in parts), sum(end.values())

        deadline = time.monotonic() + 30  # commits every second, purges every second
        while time.monotonic() < deadline and \
                any([(await held(hop))[0] for hop in topics.hops()]):
            await asyncio.sleep(0.5)
        for hop in topics.hops():
            left, produced = await held(hop)
            assert left == 0, f"{hop}: {left} of {produced} records not purged"
        assert (await held(topics.segments))[1] >= 8  # there were records to purge
        assert await held(topics.dead_letter) == (1, 1)
    finally:
        await consumer.stop()


async def _partitions(consumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - no public refresh
    return consumer.partitions_for_topic(topic) or set()


def exports_load_in_datasets(mesh, run_id, tmp_path):
    """SFT, OpenAI and DPO exports load with `datasets` in the layouts trainers read; the
    judge-rejected first draft is the DPO pair's rejected side."""
    import datasets

    columns = {"sft": {"messages", "id"}, "openai": {"messages"},
               "dpo": {"prompt", "chosen", "rejected"}}
    for fmt, expected in columns.items():
        out = tmp_path / fmt / f"{fmt}.jsonl"
        result = mesh.cli("export", run_id, "--format", fmt, "--out", str(out))
        assert result.returncode == 0, result.stderr
        rows = datasets.load_dataset("json", data_files=str(out), split="train")
        assert set(rows.column_names) == expected and len(rows) == 1
        assert (out.parent / "README.md").read_text().startswith(f"# {run_id}")
    dpo = datasets.load_dataset("json", data_files=str(tmp_path / "dpo" / "dpo.jsonl"),
                                split="train")[0]
    assert dpo["prompt"][-1]["role"] == "user"
    assert dpo["chosen"][0]["role"] == dpo["rejected"][0]["role"] == "assistant"
    assert dpo["chosen"] != dpo["rejected"]


async def test_llm_call_longer_than_the_session_timeout_is_not_redelivered(start_mesh, llm):
    """aiokafka's session timeout is 10 s: a 12 s call must not cost a rebalance and a
    second call (heartbeats run beside the handler; max_poll_interval covers the deadline)."""
    llm.set_rules([*rules_for_city("Munich", judge_scores=[5], segment_latency_s=12.0),
                   SUMMARY_RULE])
    mesh = start_mesh(llm_base_url=llm.base_url)
    run_id = await mesh.publish(**REQUEST, filters={"scenario_id": MUNICH})
    status = await mesh.wait(run_id, timeout_s=180)
    assert status["stages"]["accepted"] == 1 and status["regenerated"] == 0
    hits = llm.stats()["rule_hits"]
    assert hits["segment-Munich-0"] == 1 and hits["segment-Munich-1"] == 1
    generator = mesh.metrics("generator")
    assert metric_value(generator, "longweave_redeliveries_total") == 0
    assert mesh.stop() == 0
