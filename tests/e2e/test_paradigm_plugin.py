"""Paradigms from another package run through the unchanged mesh: the tests-only toy
paradigms (tests/plugins/toy_paradigm), found through their entry points by `longweave
serve`, with their own prompts, plans (independent; fan-out then reduce), rule check, judge
rubric and exports; the scripted test server plays the model."""

import json
import os

import pytest

from longweave.client import publish_request
from longweave.contracts import ScenarioRequest
from longweave.testing.scripted_llm_server import ScriptedLLMServer
from support.plugins import install_toy_paradigm

pytestmark = pytest.mark.e2e

UNIT_LATENCY_S = 0.5


@pytest.fixture
def llm():
    server = ScriptedLLMServer().start_in_thread()
    server.set_rules([
        {"name": "fact", "field": "system", "match": "short factual statements",
         "replies": [{"fill": "varied", "latency_s": UNIT_LATENCY_S}]},
        {"name": "digest", "field": "system", "match": "digest toy fact lists",
         "replies": [{"fill": "varied"}]},
        {"name": "judge", "field": "system", "match": "grade toy fact lists",
         "replies": [{"content": {axis: {"score": 5, "rationale": f"{axis} is fine"}
                                  for axis in ("accuracy", "variety")}}]},
    ])
    yield server
    server.stop_thread()


async def test_plugged_in_paradigms_run_end_to_end(start_mesh, llm, tmp_path):
    path = [str(p) for p in install_toy_paradigm(tmp_path / "site")]
    python_path = os.pathsep.join([*path, os.environ.get("PYTHONPATH", "")])
    mesh = start_mesh(llm_base_url=llm.base_url, PYTHONPATH=python_path)
    # Published as any Kafka producer would: the mesh, not this process, knows the paradigm.
    run_id = "run-toy"
    await publish_request(mesh.settings, ScenarioRequest(
        request_id="req-toy", run_id=run_id, count=2, paradigm="toy_facts",
        params={"facts": 3}, judge_min_score=3, filters={"domain": "finance"}))
    status = await mesh.wait(run_id, timeout_s=180)
    assert status["stages"]["accepted"] == 2, status

    db = mesh.store.db
    records = await db.records.find({"run_id": run_id}).sort("_id").to_list(None)
    for record in records:
        assert record["paradigm"] == "toy_facts" and record["topic"] == "finance"
        assert len(record["facts"]) == 3 and len(set(record["facts"])) == 3
        assert record["spec"]["params"] == {"facts": 3} and record["spec"]["units"] == 3
        assert set(record["scores"]) == {"accuracy", "variety"}
        checks = {c["name"] for c in record["validation"]["checks"]}
        assert "distinct_facts" in checks and "loop_detection" in checks
        assert "turn_structure" not in checks  # the conversation's own checks stay its own
        assert record["prompt_versions"]["segment"].startswith("toy_facts/fact.j2@v1+")
    # The fan-out: a record's three units were written at once, and once each.
    assert llm.stats()["max_concurrency"] >= 3
    assert llm.stats()["rule_hits"] == {"fact": 6, "judge": 2, "digest": 0}
    assert await db.segments.count_documents({"run_id": run_id}) == 6

    # Fan-out then reduce: the digest is written once, from the facts written before it.
    await publish_request(mesh.settings, ScenarioRequest(
        request_id="req-digest", run_id="run-digest", count=1, paradigm="toy_digest",
        params={"facts": 3}, judge_min_score=3, filters={"domain": "travel"}))
    status = await mesh.wait("run-digest", timeout_s=180)
    letters = await db.dead_letters.find({"run_id": "run-digest"}).to_list(None)
    assert status["stages"]["accepted"] == 1, [h["reasons"] for d in letters
                                                for h in d.get("history", [])] or [
        (d["source_topic"], d["reasons"]) for d in letters]
    record = await db.records.find_one({"run_id": "run-digest"})
    assert len(record["facts"]) == 3 and record["digest"] not in record["facts"]
    assert record["spec"]["units"] == 4
    stats = llm.stats()
    assert stats["rule_hits"] == {"fact": 9, "judge": 3, "digest": 1}
    [digest_call] = [r for r in stats["recent"] if r["rule"] == "digest"]
    assert json.dumps(record["facts"][0])[:60] in digest_call["last_user"]
    assert await db.segments.count_documents({"run_id": run_id, "summary": {"$ne": ""}}) == 0

    out = tmp_path / "sft.jsonl"
    result = mesh.cli("export", run_id, "--format", "sft", "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["messages"][0]["content"] for r in rows] == ["Tell me 3 facts about finance."] * 2
    refused = mesh.cli("export", run_id, "--format", "dpo", "--out", str(tmp_path / "d.jsonl"))
    assert refused.returncode != 0 and "toy_facts has no dpo export" in refused.stderr
