"""The LLM gateway inside the running mesh, over the real broker and store with the scripted
test server as the model: a run killed mid-way (SIGKILL) and restarted pays for no
finished call twice; a run's budget stops it; an API key shows up nowhere."""

from __future__ import annotations

import asyncio
import time

import pytest

from longweave.settings import SERVICE_NAMES
from longweave.testing.scripted_llm_server import ScriptedLLMServer
from support.mesh import metric_value, wait_for
from support.scripted import conversation_segment, rules_for_city

pytestmark = pytest.mark.e2e

LYON = "fin-invoice-dispute-lyon"
REQUEST = {"paradigm": "conversation", "judge_min_score": 3,
           "params": {"segments": 2, "turns_per_segment": 2, "target_tokens": 200,
                      "length_tolerance": 0.5},
           "filters": {"scenario_id": LYON},
           "complexity": 0}  # scripted replies cannot follow verifiable constraint layers
# A summary is written between a segment and the next; slow, so a kill lands mid-sample.
SLOW_SUMMARY = {"name": "summary", "match": "running summaries", "replies": [
    {"content": "The user asked what to prepare; the assistant listed documents.",
     "latency_s": 1.5}]}
PLANTED_KEY = "sk-test-PLANTED-e2e-5f0c1a9b7d3e2f4a"


def distinct_rules(city: str, samples: int, segment_latency_s: float) -> list[dict]:
    """Rules whose segment replies differ for every sample (replies advance per request),
    so the validator's near-duplicate check passes a run of several samples."""
    rules = rules_for_city(city, judge_scores=[5], segment_latency_s=segment_latency_s)
    for segment in (0, 1):
        rules[segment]["replies"] = [
            {"content": conversation_segment(city, segment, draft=variant),
             "latency_s": segment_latency_s}
            for variant in range(3 * samples)]  # spares for calls asked for again
    return rules


async def ledger_at_least(mesh, run_id: str, name: str, value: float) -> bool:
    usage = (await mesh.store.get_run(run_id)).get("llm_usage") or {}
    return usage.get(name, 0) >= value


async def wait_for_async(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@pytest.fixture
def llm():
    server = ScriptedLLMServer().start_in_thread()
    yield server
    server.stop_thread()


async def test_a_killed_and_restarted_run_reuses_every_finished_call(start_mesh, llm):
    llm.set_rules([*distinct_rules("Lyon", samples=4, segment_latency_s=0.3), SLOW_SUMMARY])
    # Static membership: the restarted mesh takes over the killed one's partitions (the
    # local broker never expires a killed consumer; Kafka would after its session timeout).
    # A summary after every segment (budget 0): its slow call is the moment to kill.
    identity = {"LONGWEAVE_KAFKA_INSTANCE_ID": "mesh-under-test",
                "LONGWEAVE_CONTEXT_BUDGET_TOKENS": "0"}
    first = start_mesh(llm_base_url=llm.base_url, **identity)
    run_id = await first.publish(**REQUEST, count=4)
    # A summary request means its segment's write call finished (and was cached); the
    # segment is saved only after the summary, so killing now strands a finished call.
    await wait_for(lambda: llm.stats()["rule_hits"]["summary"] >= 1, 120, "a summary call")
    first.kill()
    assert (await first.store.get_run(run_id))["status"] != "complete"

    second = start_mesh(llm_base_url=llm.base_url, tag=first.tag, **identity)
    status = await second.wait(run_id, timeout_s=240)
    db = second.store.db
    letters = [d["reasons"] async for d in db.dead_letters.find({"run_id": run_id})]
    assert status["stages"]["accepted"] == 4, (status, letters)

    records = await db.records.find({"run_id": run_id}).to_list(None)
    assert len(records) == 4 and len({r["sample_id"] for r in records}) == 4
    assert await db.drafts.count_documents({"run_id": run_id}) == 4
    assert await db.segments.count_documents({"run_id": run_id}) == 8
    # Finished calls were served from the cache: counted by the new process and in MongoDB.
    cache_hits = metric_value(second.metrics("generator"), "longweave_llm_cache_hits_total",
                              role="generator")
    assert cache_hits >= 1
    # Run totals are written in batches (every 0.5 s): wait for the last one.
    await wait_for_async(lambda: ledger_at_least(second, run_id, "cache_hits", cache_hits), 10,
                         "the cache hits in the run's totals")
    # Nothing finished was paid for twice. Summaries in progress at the kill (at most one
    # per sample) are asked for again; their segments' finished writes came from the
    # cache, so the model saw each of the 8 writes exactly once.
    hits = llm.stats()["rule_hits"]
    assert hits["segment-Lyon-0"] + hits["segment-Lyon-1"] == 8
    assert 4 < hits["summary"] <= 4 + 4 and hits["judge-Lyon"] == 4
    assert second.stop() == 0


async def test_a_run_out_of_budget_stops_issuing_work_and_ends_budget_stopped(start_mesh, llm):
    llm.set_rules([*rules_for_city("Lyon", judge_scores=[5]), SLOW_SUMMARY])
    mesh = start_mesh(llm_base_url=llm.base_url)
    run_id = await mesh.publish(**REQUEST, count=3, budget={"max_tokens": 50})
    status = await mesh.wait(run_id, timeout_s=120, until="finished")
    assert status["status"] == "budget_stopped"
    assert status["stages"]["stopped"] == 3 and status["stages"]["accepted"] == 0
    # Only calls already under way when the budget ran out were paid for: at most one per
    # sample (the three start at once), and the totals match what the model served.
    served = llm.stats()["requests_total"]
    assert 1 <= served <= 3
    await wait_for_async(lambda: ledger_at_least(mesh, run_id, "calls", served), 10,
                         "every paid call in the run's totals")
    run = await mesh.store.get_run(run_id)
    assert run["stop_requested"] == "budget" and run["llm_usage"]["calls"] == served
    assert run["llm_usage"]["prompt_tokens"] + run["llm_usage"]["completion_tokens"] >= 50
    generator = mesh.metrics("generator")
    assert metric_value(generator, "longweave_llm_errors_total",
                        error_class="run_stopped") >= 1
    assert mesh.stop() == 0


async def test_the_api_key_appears_in_no_log_metric_or_stored_document(start_mesh, llm):
    rules = rules_for_city("Lyon", judge_scores=[5])
    # The first write is refused with an error that quotes the key, as some providers do.
    rules[0]["replies"] = [{"status": 401,
                            "error_message": f"Incorrect API key provided: {PLANTED_KEY}"},
                           *rules[0]["replies"]]
    llm.set_rules([*rules, {**SLOW_SUMMARY, "replies": [{"content": "A short summary."}]}])
    mesh = start_mesh(llm_base_url=llm.base_url, LONGWEAVE_LLM_API_KEY=PLANTED_KEY)
    run_id = await mesh.publish(**REQUEST, count=1)
    status = await mesh.wait(run_id, timeout_s=120)
    assert status["stages"]["accepted"] == 1 and status["regenerated"] == 1

    stored = []
    db = mesh.store.db
    for name in await db.list_collection_names():
        stored += [repr(doc) async for doc in db[name].find()]
    assert any("[redacted]" in doc for doc in stored)  # the refusal is on record, redacted
    exposition = "\n".join(mesh.metrics(service) for service in SERVICE_NAMES)
    assert mesh.stop() == 0
    log = mesh.log_path.read_text(errors="replace")
    assert "[redacted]" in log
    for where, text in [("stored documents", "\n".join(stored)), ("metrics", exposition),
                        ("logs", log)]:
        assert PLANTED_KEY not in text, f"the API key leaked into {where}"
