"""The verifiable instruction paradigm end to end: a request written from the scenario,
instructions drawn for it, a first response that breaks them (the checkers reject it with
their reasons), a second one, written with those reasons as feedback, that follows them;
the record keeps the instructions and every checker's verdict, and the grpo and dpo exports
load with `datasets` and score with `longweave.rewards`. The scripted test server plays
the model."""

import json

import pytest

from longweave.rewards import instruction_following
from longweave.testing.scripted_llm_server import ScriptedLLMServer

pytestmark = pytest.mark.e2e

END_PHRASE = r"exact phrase (?P<end>.+?) No other words"
BROKEN = "Your refund, sadly, is late: it left our bank on Monday."
FOLLOWED = "Your refund left our bank on Monday and reaches you within five days {end}"


@pytest.fixture
def llm():
    server = ScriptedLLMServer().start_in_thread()
    server.set_rules([
        {"name": "request", "field": "system", "match": "You write realistic requests",
         "replies": [{"captures": r"Domain: (?P<d>[^\n]+)",
                      "content": {"request": "My {d} refund has not arrived after three "
                                             "weeks. What is happening and what can I do?"}}]},
        # A response written with the checkers' reasons as feedback follows them.
        {"name": "fixed", "field": "user", "match": "An earlier answer broke these "
                                                     "instructions(?s:.*)uses commas",
         "replies": [{"captures": END_PHRASE, "content": {"response": FOLLOWED}}]},
        {"name": "response", "field": "system", "match": "checked by a program",
         "replies": [{"content": {"response": BROKEN}}]},
        {"name": "judge", "field": "system", "match": "instruction-following examples",
         "replies": [{"content": {a: {"score": 5, "rationale": f"{a} holds"}
                                  for a in ("helpfulness", "naturalness")}}]},
    ])
    yield server
    server.stop_thread()


async def test_a_response_is_regenerated_until_its_checkers_pass(start_mesh, llm, tmp_path):
    mesh = start_mesh(llm_base_url=llm.base_url)
    run_id = await mesh.publish(
        paradigm="instruction", count=1, seed=5, filters={"domain": "retail"},
        params={"types": ["startend:end_checker", "punctuation:no_comma"],
                "min_instructions": 2, "max_instructions": 2})
    status = await mesh.wait(run_id, timeout_s=180)
    db = mesh.store.db
    letters = await db.dead_letters.find({"run_id": run_id}).to_list(None)
    assert status["stages"]["accepted"] == 1, letters

    record = await db.records.find_one({"run_id": run_id})
    names = [i["name"] for i in record["instructions"]]
    assert sorted(names) == ["punctuation:no_comma", "startend:end_checker"]
    [end] = [i["params"]["end_phrase"] for i in record["instructions"]
             if i["name"] == "startend:end_checker"]
    assert record["response"].endswith(end) and "," not in record["response"]
    assert record["prompt"].startswith("My retail refund has not arrived")
    [check] = [c for c in record["validation"]["checks"] if c["name"] == "instructions_followed"]
    assert check["passed"] and sorted(v["name"] for v in check["details"]["verdicts"]) == \
        sorted(names)
    # The first response failed both checkers; only it was redone, with their reasons.
    [failure] = record["history"]
    assert failure["stage"] == "validator"
    assert "startend:end_checker" in failure["reasons"][0]
    assert "punctuation:no_comma" in failure["reasons"][0]
    stats = llm.stats()
    assert stats["rule_hits"] == {"request": 1, "fixed": 1, "response": 1, "judge": 1}
    assert set(record["scores"]) == {"helpfulness", "naturalness"}

    grpo, dpo = exports(mesh, run_id, tmp_path)
    assert grpo["prompt"] == [{"role": "user", "content": record["prompt"]}]
    assert instruction_following([record["response"]], instructions=[grpo["instructions"]]) \
        == [1.0]
    assert instruction_following([BROKEN], instructions=[grpo["instructions"]]) == [0.0]
    assert dpo["rejected"][0]["content"] == BROKEN
    assert sorted(dpo["failed_checks"]) == sorted(names)
    assert json.loads(grpo["instructions"]) == record["instructions"]


def exports(mesh, run_id, tmp_path):
    import datasets

    rows = {}
    for fmt, columns in (("grpo", {"prompt", "instructions", "id"}),
                         ("dpo", {"prompt", "chosen", "rejected", "failed_checks"}),
                         ("sft", {"messages", "id"})):
        out = tmp_path / fmt / f"{fmt}.jsonl"
        result = mesh.cli("export", run_id, "--format", fmt, "--out", str(out))
        assert result.returncode == 0, result.stderr
        loaded = datasets.load_dataset("json", data_files=str(out), split="train")
        assert set(loaded.column_names) == columns and len(loaded) == 1
        rows[fmt] = loaded[0]
    return rows["grpo"], rows["dpo"]
