"""The store-backed gateway: response cache, per-run totals, cost and budget, against the
scripted server and the session's MongoDB."""

from __future__ import annotations

import asyncio
import logging

import pytest
from pydantic import SecretStr

from longweave.contracts import RunBudget
from longweave.llm import CallScope, RunStopped
from longweave.llm.pricing import PriceTable
from longweave.observability import ServiceMetrics
from longweave.settings import ModelPrice
from support.gateway import HELLO
from support.mesh import metric_value

pytestmark = pytest.mark.integration

OK = {"content": "Hello there, friend."}  # 2 prompt + 3 completion tokens (words)
SCOPE = CallScope(run_id="run-1", template_version="greeting@v1")


def script(server, *replies):
    server.set_rules([{"name": "r", "match": "", "replies": list(replies)}])


async def new_run(store, run_id="run-1"):
    await store.db.runs.insert_one({"_id": run_id, "request_id": f"req-{run_id}",
                                    "requested": 1, "status": "running"})


async def test_a_completed_call_is_served_from_the_cache(scripted, make_client, store):
    script(scripted, OK)
    await new_run(store)
    metrics = ServiceMetrics("generator")
    client = make_client(scripted, metrics=metrics, store=store)
    first = await client.chat(HELLO, max_tokens=20, seed=1, scope=SCOPE)
    again = await client.chat(HELLO, max_tokens=20, seed=1, scope=SCOPE)
    assert scripted.stats()["requests_total"] == 1
    assert not first.cached and again.cached and again.attempts == 0
    assert (again.text, again.usage, again.cost_usd) == (first.text, first.usage, 0.0)
    text = metrics.exposition().decode()
    assert metric_value(text, "longweave_llm_cache_hits_total", role="generator") == 1
    assert metric_value(text, "longweave_llm_cache_misses_total", role="generator") == 1
    await client.flush()  # run totals are written in batches
    totals = (await store.get_run("run-1"))["llm_usage"]
    assert totals["calls"] == 1 and totals["cache_hits"] == 1
    assert await store.db.llm_calls.count_documents({}) == 1


async def test_identical_calls_under_way_at_once_are_paid_for_once(scripted, make_client,
                                                                    store):
    # The units of several records outlining one chapter ask at the same moment.
    script(scripted, {**OK, "latency_s": 0.3})
    await new_run(store)
    client = make_client(scripted, store=store)
    results = await asyncio.gather(*(client.chat(HELLO, max_tokens=20, seed=1, scope=SCOPE)
                                     for _ in range(5)))
    assert scripted.stats()["requests_total"] == 1
    assert sorted(r.cached for r in results) == [False, True, True, True, True]
    assert {r.text for r in results} == {"Hello there, friend."}
    await client.flush()
    totals = (await store.get_run("run-1"))["llm_usage"]
    assert totals["calls"] == 1 and totals["cache_hits"] == 4


async def test_calls_waiting_on_a_failed_identical_call_make_their_own(scripted,
                                                                       make_client, store):
    scripted.set_rules([{"name": "r", "match": "", "replies": [
        {"status": 400, "error_message": "bad", "latency_s": 0.2}, OK]}])
    client = make_client(scripted, store=store)
    results = await asyncio.gather(*(client.chat(HELLO, max_tokens=20, scope=SCOPE)
                                     for _ in range(3)), return_exceptions=True)
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1  # the first; the others asked again, and the second paid
    assert scripted.stats()["requests_total"] == 2


async def test_a_restarted_process_pays_for_no_completed_call(scripted, make_client, store):
    script(scripted, OK)
    await new_run(store)
    prompts = [[{"role": "user", "content": f"Say hello {i}."}] for i in range(5)]
    before = make_client(scripted, store=store)
    for messages in prompts[:3]:
        await before.chat(messages, max_tokens=20, scope=SCOPE)
    await before.aclose()  # "killed"; a new process starts over
    after = make_client(scripted, store=store)
    results = [await after.chat(m, max_tokens=20, scope=SCOPE) for m in prompts]
    assert [r.cached for r in results] == [True, True, True, False, False]
    assert scripted.stats()["requests_total"] == 5


async def test_the_key_covers_template_version_and_decoding(scripted, make_client, store):
    script(scripted, OK)
    client = make_client(scripted, store=store)
    await client.chat(HELLO, max_tokens=20, scope=SCOPE)
    await client.chat(HELLO, max_tokens=20,
                      scope=CallScope(run_id="run-1", template_version="greeting@v2"))
    await client.chat(HELLO, max_tokens=20, temperature=0.1, scope=SCOPE)
    await client.chat(HELLO, max_tokens=21, scope=SCOPE)
    assert scripted.stats()["requests_total"] == 4
    assert await store.db.llm_calls.count_documents({}) == 4


async def test_a_run_can_switch_the_cache_off(scripted, make_client, store):
    script(scripted, OK)
    client = make_client(scripted, store=store)
    off = CallScope(run_id="run-1", template_version="greeting@v1", cache=False)
    for _ in range(2):
        assert not (await client.chat(HELLO, max_tokens=20, scope=off)).cached
    assert scripted.stats()["requests_total"] == 2
    # Each paid call is recorded (for accounting), never read back as a cache entry.
    assert await store.db.llm_calls.count_documents({"run_id": "run-1"}) == 2


async def test_concurrent_writers_of_one_call_store_one_entry(scripted, make_client, store):
    script(scripted, OK)
    scripted.default_latency_s = 0.05
    clients = [make_client(scripted, store=store) for _ in range(3)]
    await asyncio.gather(*(c.chat(HELLO, max_tokens=20, scope=SCOPE) for c in clients))
    assert await store.db.llm_calls.count_documents({}) == 1


async def test_structured_replies_are_cached_once_valid(scripted, make_client, store):
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    script(scripted, {"content": {"n": 1}, "fault": "malformed_json"}, {"content": {"n": 1}})
    client = make_client(scripted, store=store)
    first = await client.chat(HELLO, max_tokens=20, json_schema=schema, scope=SCOPE)
    again = await client.chat(HELLO, max_tokens=20, json_schema=schema, scope=SCOPE)
    assert first.parsed == again.parsed == {"n": 1} and again.cached
    assert scripted.stats()["requests_total"] == 2  # the bad reply and the re-ask, once


async def test_tokens_and_cost_are_totalled_per_run_and_role(scripted, make_client, store,
                                                            caplog):
    script(scripted, OK)
    await new_run(store)
    metrics = ServiceMetrics("judge")
    prices = PriceTable({"test-model": ModelPrice(prompt=1_000_000, completion=2_000_000)})
    client = make_client(scripted, metrics=metrics, store=store, role="judge", prices=prices)
    for seed in range(3):
        completion = await client.chat(HELLO, max_tokens=20, seed=seed, scope=SCOPE)
        assert completion.cost_usd == pytest.approx(2 * 1 + 3 * 2)
    assert "llm_usage" not in await store.get_run("run-1")  # batched: one write for three
    await client.flush()
    totals = (await store.get_run("run-1"))["llm_usage"]
    assert totals["calls"] == 3 and totals["prompt_tokens"] == 6
    assert totals["completion_tokens"] == 9 and totals["cost_usd"] == pytest.approx(24)
    assert totals["by_role"]["judge"]["cost_usd"] == pytest.approx(24)
    text = metrics.exposition().decode()
    assert metric_value(text, "longweave_llm_cost_usd_total", role="judge") == pytest.approx(24)
    assert metric_value(text, "longweave_llm_tokens_total", direction="completion") == 9
    # An unpriced model costs 0, and the log says why, once.
    caplog.set_level(logging.INFO)
    free = make_client(scripted, store=store, model="unpriced-model")
    for seed in range(2):
        assert (await free.chat(HELLO, max_tokens=20, seed=seed, scope=SCOPE)).cost_usd == 0
    assert caplog.text.count("unpriced-model has no price") == 1


async def test_a_token_budget_stops_the_run_and_refuses_new_calls(scripted, make_client, store):
    script(scripted, OK)
    await new_run(store)
    metrics = ServiceMetrics("generator")
    client = make_client(scripted, metrics=metrics, store=store)
    scope = CallScope(run_id="run-1", budget=RunBudget(max_tokens=12))
    for seed in range(3):  # 5 tokens each: the third crosses 12
        await client.chat(HELLO, max_tokens=20, seed=seed, scope=scope)
    run = await store.get_run("run-1")
    assert run["stop_requested"] == "budget"
    with pytest.raises(RunStopped) as stopped:
        await client.chat(HELLO, max_tokens=20, seed=99, scope=scope)
    assert stopped.value.reason == "budget"
    assert scripted.stats()["requests_total"] == 3
    assert metric_value(metrics.exposition().decode(), "longweave_llm_errors_total",
                        error_class="run_stopped") == 1


async def test_the_budget_gauge_follows_a_run_until_its_budget_stops_it(scripted, make_client,
                                                                        store):
    script(scripted, OK)
    await new_run(store)
    await new_run(store, "run-2")
    metrics = ServiceMetrics("generator")
    client = make_client(scripted, metrics=metrics, store=store)

    def gauge() -> float:
        return metrics.registry.get_sample_value("longweave_budget_used_ratio")

    await client.chat(HELLO, max_tokens=20, seed=0,
                      scope=CallScope(run_id="run-2"))  # no budget: not watched
    assert gauge() == 0
    scope = CallScope(run_id="run-1", budget=RunBudget(max_tokens=12))
    await client.chat(HELLO, max_tokens=20, seed=1, scope=scope)  # 5 tokens of 12
    assert gauge() == pytest.approx(5 / 12)
    await client.chat(HELLO, max_tokens=20, seed=2, scope=scope)
    assert gauge() == pytest.approx(10 / 12)
    await client.chat(HELLO, max_tokens=20, seed=3, scope=scope)  # over: the run stops
    assert (await store.get_run("run-1"))["stop_requested"] == "budget"
    assert gauge() == 0


async def test_a_cost_budget_stops_the_run_before_it_is_crossed_again(scripted, make_client,
                                                                      store):
    script(scripted, OK)
    await new_run(store)
    prices = PriceTable({"*": ModelPrice(prompt=0, completion=1_000_000)})  # $1 per token
    client = make_client(scripted, store=store, prices=prices)
    scope = CallScope(run_id="run-1", budget=RunBudget(max_cost_usd=5.0))
    await client.chat(HELLO, max_tokens=20, seed=1, scope=scope)  # $3
    await client.chat(HELLO, max_tokens=20, seed=2, scope=scope)  # $6: over
    with pytest.raises(RunStopped):
        await client.chat(HELLO, max_tokens=20, seed=3, scope=scope)
    assert (await store.get_run("run-1"))["stop_requested"] == "budget"


async def test_no_api_key_reaches_the_store(scripted, make_client, store):
    key = "sk-test-PLANTED-fedcba9876543210"
    script(scripted, OK)
    await new_run(store)
    client = make_client(scripted, store=store, api_key=SecretStr(key))
    await client.chat(HELLO, max_tokens=20, scope=SCOPE)
    for name in await store.db.list_collection_names():
        async for doc in store.db[name].find():
            assert key not in repr(doc)
