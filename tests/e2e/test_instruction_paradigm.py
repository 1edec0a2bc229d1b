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


PERSONA = r'Reply as (?P<name>[^\n]+?) in every turn of this conversation: address me as "(?P<addr>[^"]+)"'
SECTION = r'Cite the section "(?P<sec>[^"]+)"'
BOTH = rf"(?s)(?=.*{PERSONA})(?=.*{SECTION})"


@pytest.fixture
def two_turn_llm():
    server = ScriptedLLMServer().start_in_thread()
    signed = '{addr} as "{sec}" tells it the traveller comes back changed.\n— {name}'
    server.set_rules([
        {"name": "follow_up", "field": "user", "match": "Write the user.s next message",
         "replies": [{"content": {"request": "And what does he bring back with him?"}}]},
        {"name": "request", "field": "system", "match": "You write realistic requests",
         "replies": [{"content": {"request": "What happens to the traveller in this part "
                                             "of the book, and why does it matter?"}}]},
        {"name": "fixed", "field": "user", "match": "An earlier answer broke",
         "replies": [{"captures": BOTH, "content": {"response": (
             '{addr}, he brings back two white flowers, as "{sec}" tells.\n— {name}')}}]},
        {"name": "second", "field": "user", "match": "The user's new message",
         "replies": [{"content": {"response": "He brings back two strange white flowers."}}]},
        {"name": "first", "field": "system", "match": "checked by a program",
         "replies": [{"captures": BOTH, "content": {"response": signed}}]},
        {"name": "judge", "field": "system", "match": "instruction-following examples",
         "replies": [{"content": {a: {"score": 5, "rationale": f"{a} holds"}
                                  for a in ("helpfulness", "naturalness")}}]},
    ])
    yield server
    server.stop_thread()


async def test_a_two_turn_conversation_about_a_book_excerpt_keeps_its_persona(
        start_mesh, two_turn_llm, tmp_path):
    from support.documents import CORPUS

    mesh = start_mesh(llm_base_url=two_turn_llm.base_url)
    added = mesh.cli("documents", "add", str(CORPUS / "time_machine.txt"), "--tag", "novel")
    assert added.returncode == 0, added.stderr
    run_id = await mesh.publish(
        paradigm="instruction", count=1, seed=2,
        params={"grounding": "document", "tags": ["novel"], "excerpt_tokens": 1500,
                "turns": 2, "types": ["longweave:persona", "longweave:cite_section"],
                "min_instructions": 2, "max_instructions": 2})
    status = await mesh.wait(run_id, timeout_s=180)
    db = mesh.store.db
    letters = await db.dead_letters.find({"run_id": run_id}).to_list(None)
    assert status["stages"]["accepted"] == 1, [h["reasons"] for d in letters for h in d["history"]]

    record = await db.records.find_one({"run_id": run_id})
    assert record["prompt"].startswith("## The Time Machine")
    assert record["document"]["licence"].startswith("Project Gutenberg")
    assert [m["role"] for m in record["messages"]] == ["user", "assistant"] * 2
    assert record["messages"][2]["content"] == "And what does he bring back with him?"
    [persona] = [i["params"] for i in record["instructions"] if i["name"] == "longweave:persona"]
    assert all(m["content"].endswith(f"— {persona['persona']}")
               for m in record["messages"][1::2])
    # The second reply dropped the persona: only it was redone, with the checker's reason.
    [failure] = record["history"]
    assert "longweave:persona (reply 2)" in failure["reasons"][0]
    assert two_turn_llm.stats()["rule_hits"] == {
        "request": 1, "first": 1, "follow_up": 1, "second": 1, "fixed": 1, "judge": 1}
    grpo, dpo = exports(mesh, run_id, tmp_path)
    assert grpo["prompt"] == record["messages"][:3]
    assert dpo["rejected"] == [{"role": "assistant",
                                "content": "He brings back two strange white flowers."}]
    assert sorted(dpo["failed_checks"]) == ["longweave:cite_section", "longweave:persona"]
