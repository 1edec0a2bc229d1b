"""Scenario requests against a running mesh (real broker and store, scripted model):
malformed events published straight to the topic are dead-lettered with a reason and the
original payload while the sampler keeps running; request ids are processed once; a run
can be cancelled; sampled fields and constraint layers reach the stored records."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st

from longweave.catalog import load_catalog
from longweave.contracts import ScenarioRequest
from longweave.runtime import MAX_PAYLOAD_IN_DEAD_LETTER
from longweave.sampler.logic import request_problems
from longweave.testing.scripted_llm_server import ScriptedLLMServer
from support.mesh import Mesh, start_mesh_process
from support.scripted import SUMMARY_RULE, rules_for_city

pytestmark = pytest.mark.integration

CATALOG = load_catalog()
LYON = "fin-invoice-dispute-lyon"
SLOW = {"Lyon": LYON, "Nairobi": "health-clinic-booking-nairobi",
        "Accra": "fin-sme-loan-accra", "Madrid": "fin-student-account-madrid"}
# Scripted replies cannot follow verifiable constraint layers (word limits, formats, …),
# which the validator enforces: these requests use none.
SMALL = {"params": {"segments": 2, "turns_per_segment": 2, "target_tokens": 200,
                    "length_tolerance": 0.5},
         "complexity": 0}
_ids = itertools.count()


@pytest.fixture(scope="module")
def llm() -> Iterator[ScriptedLLMServer]:
    server = ScriptedLLMServer().start_in_thread()
    yield server
    server.stop_thread()


@pytest.fixture(scope="module")
def mesh(servers, llm, tmp_path_factory) -> Iterator[Mesh]:
    mesh = start_mesh_process(servers.env(), tmp_path_factory.mktemp("mesh"), llm.base_url)
    yield mesh
    mesh.stop()


@pytest.fixture(scope="module")
async def producer(mesh) -> Any:
    producer = AIOKafkaProducer(bootstrap_servers=mesh.settings.kafka_bootstrap,
                                max_request_size=2**20)
    await producer.start()
    yield producer
    await producer.stop()


# -- malformed requests ------------------------------------------------------------------

def fresh_ids() -> dict[str, str]:
    n = next(_ids)
    return {"request_id": f"fuzz-{n}", "run_id": f"run-fuzz-{n}"}


def sampler_would_accept(payload: bytes | None) -> bool:
    """The oracle: what FastStream decodes (JSON, else the raw bytes) and the sampler's own
    checks would both accept. Only payloads it rejects are published."""
    try:
        decoded = json.loads(payload or b"")
        request = ScenarioRequest.model_validate(decoded)
    except (ValueError, RecursionError):  # pydantic's ValidationError is a ValueError
        return False
    return not request_problems(request, CATALOG)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8,
)
FIELDS = sorted(ScenarioRequest.model_fields)
NUMERIC = ["count", "max_attempts", "complexity", "noise_transformations", "judge_min_score"]
PARAMS = ["segments", "turns_per_segment", "target_tokens", "length_tolerance"]
# Each mutation turns a valid request into one the contract or the sampler must refuse.
MUTATIONS = st.one_of(
    st.tuples(st.sampled_from(FIELDS), JSON),                                   # wrong types
    st.tuples(st.just("paradigm"), st.text(max_size=30)),                       # unknown paradigm
    st.tuples(st.just("count"), st.integers(max_value=0)),                      # count <= 0
    st.tuples(st.sampled_from(NUMERIC), st.integers(min_value=10**5 + 1, max_value=10**40)),
    st.tuples(st.just("seed"), st.integers(min_value=2**63, max_value=2**200)),
    st.tuples(st.sampled_from(["request_id", "run_id"]),
              st.text(min_size=201, max_size=2000) | st.just("has spaces")),
    st.tuples(st.text(min_size=1, max_size=20), JSON),                          # unknown fields
    st.tuples(st.just("filters"), st.dictionaries(st.sampled_from(["domain", "tone", "colour"]),
                                                  st.text(max_size=12), min_size=1)),
    st.tuples(st.just("weights"), st.just({"domain": {"legal": float("inf")}})),
    st.tuples(st.just("complexify_operators"), st.lists(st.from_regex(r"[a-z]{3,12}", fullmatch=True),
                                                        min_size=1, max_size=3)),
    # The paradigm's params: wrong values, fields it lacks, and schema_version 1's shape.
    st.tuples(st.just("params"), st.builds(lambda k, v: {k: v}, st.sampled_from(PARAMS),
                                           st.sampled_from([0, -1, 10**9, float("nan"), "x"]))),
    st.tuples(st.just("params"), st.dictionaries(st.from_regex(r"[a-z]{3,12}", fullmatch=True),
                                                 JSON, min_size=1, max_size=3)),
    st.tuples(st.sampled_from(PARAMS), st.integers(min_value=1, max_value=8)),
    st.tuples(st.just("notes"), st.just("x" * 300_000)),                        # absurd size
    st.just(("<drop>", "count")), st.just(("<drop>", "request_id")),
)


def mutate(mutations: list[tuple[str, Any]]) -> bytes:
    request: dict[str, Any] = {**fresh_ids(), "count": 2, "filters": {"scenario_id": LYON}}
    for field, value in mutations:
        if field == "<drop>":
            request.pop(value, None)
        else:
            request[field] = value
    return json.dumps(request).encode()  # NaN and Infinity are written as Python's json does


PAYLOADS = st.one_of(
    st.binary(max_size=200),                                                   # not JSON
    JSON.filter(lambda v: not isinstance(v, dict)).map(lambda v: json.dumps(v).encode()),
    st.lists(MUTATIONS, min_size=1, max_size=3).map(mutate),
)


async def dead_letter_of(mesh: Mesh, payload: bytes | None, timeout_s: float = 60.0) -> dict:
    text = (payload or b"").decode("utf-8", errors="replace")[:MAX_PAYLOAD_IN_DEAD_LETTER]
    async with asyncio.timeout(timeout_s):
        while True:
            letter = await mesh.store.db.dead_letters.find_one({"payload": text})
            if letter is not None:
                return letter
            await asyncio.sleep(0.2)


def sampler_is_healthy(mesh: Mesh) -> bool:
    port = mesh.settings.ports.of("sampler")
    return mesh.process.poll() is None and httpx.get(
        f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],  # shrinking would replay against servers
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(payload=PAYLOADS)
@example(payload=b"")
@example(payload=None)
@example(payload=b"{not json")
@example(payload=b"[" * 50_000 + b"]" * 50_000)
@example(payload=json.dumps({**fresh_ids(), "count": 1, "paradigm": "poetry"}).encode())
@example(payload=json.dumps({**fresh_ids(), "count": 0}).encode())
@example(payload=json.dumps({**fresh_ids(), "count": 1, "segments": 3}).encode())  # version 1
@example(payload=json.dumps({**fresh_ids(), "count": 1, "params": {"segments": 0}}).encode())
@example(payload=json.dumps({**fresh_ids(), "count": 1, "filters": {"domain": "astrology"}}).encode())
async def test_malformed_requests_are_dead_lettered_and_the_sampler_keeps_running(
        mesh, producer, payload):
    assume(not sampler_would_accept(payload))  # a valid request by chance is not published
    await producer.send_and_wait(_requests_topic(mesh), payload, key=b"fuzz")
    letter = await dead_letter_of(mesh, payload)
    assert letter["kind"] == "invalid_message", letter
    assert letter["source_topic"] == _requests_topic(mesh)
    assert letter["reasons"] and all(isinstance(r, str) and r.strip() for r in letter["reasons"])
    assert sampler_is_healthy(mesh), mesh.log_tail()


def _requests_topic(mesh: Mesh) -> str:
    return f"{mesh.settings.topic_prefix}.scenario-requests"


async def test_a_valid_request_completes_with_its_sampled_fields_and_layers_recorded(mesh, llm):
    """Also the proof that the sampler still works after the malformed requests above."""
    llm.set_rules([*rules_for_city("Lyon", judge_scores=[5]), SUMMARY_RULE])
    run_id = await mesh.publish(**{**SMALL, "complexity": 2}, count=1,
                                complexify_operators=["deepen", "add_constraint"],
                                filters={"scenario_id": LYON})
    status = await mesh.wait(run_id, timeout_s=180)
    assert status["stages"]["accepted"] == 1
    record = await mesh.store.db.records.find_one({"run_id": run_id})
    assert record["sampled"]["scenario_id"] == LYON
    assert record["sampled"]["domain"] == "finance"
    assert len(record["layers"]) == 2 and record["sampled"]["layers"] == [
        layer["operator"] for layer in record["layers"]]
    assert len(record["sampled"]["noise"]) == 2
    calls = await mesh.store.db.llm_calls.find({"run_id": run_id, "purpose": "segment"}
                                               ).to_list(None)
    assert calls, "segment calls are accounted"
    assert sampler_is_healthy(mesh)


async def test_a_request_id_is_processed_once(mesh, llm):
    llm.set_rules([*rules_for_city("Lyon", judge_scores=[5]), SUMMARY_RULE])
    fields = dict(count=1, filters={"scenario_id": LYON}, request_id="once-only",
                  run_id="run-once-only", **SMALL)
    for _ in range(3):
        await mesh.publish(**fields)
    await mesh.publish(**{**fields, "run_id": "run-once-again"})  # same request id, new run
    await mesh.wait("run-once-only", timeout_s=180)
    db = mesh.store.db
    assert await db.runs.count_documents({"request_id": "once-only"}) == 1
    assert await db.runs.count_documents({"_id": "run-once-again"}) == 0
    assert await db.samples.count_documents({"run_id": "run-once-only"}) == 1
    assert llm.stats()["rule_hits"]["segment-Lyon-0"] == 1
    letter = await _letter_for(mesh, "invalid-request:once-only:run-once-again")
    assert letter["reasons"] == ["request id once-only already used by run run-once-only"]
    assert json.loads(letter["payload"])["run_id"] == "run-once-again"


async def _letter_for(mesh: Mesh, letter_id: str, timeout_s: float = 60.0) -> dict:
    async with asyncio.timeout(timeout_s):
        while (letter := await mesh.store.db.dead_letters.find_one({"_id": letter_id})) is None:
            await asyncio.sleep(0.2)
    return letter


async def test_a_cancelled_run_issues_no_new_work_drains_and_ends_cancelled(mesh, llm):
    llm.set_rules([*(rule for city in SLOW for rule in rules_for_city(
        city, judge_scores=[5], segment_latency_s=5.0)), SUMMARY_RULE])
    run_id = await mesh.publish(count=4, filters={"scenario_id": list(SLOW.values())}, **SMALL)
    async with asyncio.timeout(120):  # cancel while the first segments are being written
        while llm.stats()["in_flight"] == 0:
            await asyncio.sleep(0.05)
    result = mesh.cli("cancel", run_id)
    assert result.returncode == 0, result.stderr
    assert "cancel requested" in result.stdout
    async with asyncio.timeout(180):
        while (await mesh.store.get_run(run_id))["status"] != "cancelled":
            await asyncio.sleep(0.5)
    status = await _status(mesh, run_id)
    assert status["stages"]["stopped"] == 4 and status["stages"]["accepted"] == 0
    hits = llm.stats()["rule_hits"]
    assert sum(hits[f"segment-{city}-1"] for city in SLOW) == 0  # no new work after cancel
    again = mesh.cli("cancel", run_id)
    assert again.returncode == 1 and "already finished" in again.stdout


async def _status(mesh: Mesh, run_id: str) -> dict:
    from longweave.client import run_status

    return await run_status(mesh.store, run_id)
