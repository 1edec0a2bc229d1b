"""The reasoning paradigm end to end, the scripted test server playing the model: a book
added to the corpus; a programmatic run (a chain of lockers planted at set depths) whose
first trace gets the answer wrong, is rejected by `answer_matches_key` without being told
the key, and is rewritten right; a free-form run whose trace quotes two distant passages.
The records keep the key, the facts' depths and the located citations; the sft export
carries the trace in either layout, the grpo export loads with `datasets` and scores 1.0
with `longweave.rewards`, and the dpo row names the failed check."""


import pytest

from longweave.rewards import exact_answer, think_format
from longweave.testing.scripted_llm_server import ScriptedLLMServer
from support.documents import CORPUS
from support.mesh import export_dataset, metric_value

pytestmark = pytest.mark.e2e

AXES = ("reasoning_validity", "grounding", "multi_passage", "clarity")
KEY = r"(?P<f{n}>The key found in locker \d+ opens locker \d+\.)"
CHAIN = (KEY.format(n=1) + r"(?s:.*?)" + KEY.format(n=2)
         + r"(?s:.*?)(?P<f3>Locker \d+ holds (?P<coins>\d+) silver coins\.)")
QUOTED = 'First "{f1}" Then "{f2}" Last, "{f3}" So the last locker holds {answer}.'
LINE_OF = r"\[P{n}\] (?s:.*?)(?P<q{n}>[A-Z][^\n]{{30,110}})"


def trace(answer: str) -> dict:
    return {"reasoning": QUOTED.replace("{answer}", answer),
            "citations": ["{f1}", "{f2}", "{f3}"], "answer": answer}


@pytest.fixture
def llm():
    server = ScriptedLLMServer().start_in_thread()
    server.set_rules([
        # A trace rewritten with the check's reason as feedback gets the answer right.
        {"name": "fixed", "field": "user", "match": "previous attempt was rejected",
         "replies": [{"captures": CHAIN, "content": trace("{coins}")}]},
        {"name": "chain", "field": "user", "match": "Question: Start at locker",
         "replies": [{"captures": CHAIN, "content": trace("7")}]},
        {"name": "free_form", "field": "user", "match": "Ask one question",
         "replies": [{"captures": LINE_OF.format(n=1) + "(?s:.*?)" + LINE_OF.format(n=2),
                      "content": {"question": "How do the two scenes connect?",
                                  "reasoning": 'Early on: "{q1}" Much later: "{q2}" '
                                               "Read together, the second scene answers the "
                                               "first, so they connect through the narrator.",
                                  "citations": ["{q1}", "{q2}"],
                                  "answer": "Through the narrator."}}]},
        {"name": "judge", "field": "system", "match": "reasoning examples over long",
         "replies": [{"content": {a: {"score": 5, "rationale": f"{a} holds"} for a in AXES}}]},
    ])
    yield server
    server.stop_thread()


async def test_programmatic_and_free_form_reasoning_through_the_mesh(start_mesh, llm,
                                                                     tmp_path):
    mesh = start_mesh(llm_base_url=llm.base_url)
    added = mesh.cli("documents", "add", str(CORPUS / "time_machine.txt"), "--tag", "novel")
    assert added.returncode == 0, added.stderr
    chain_run = await mesh.publish(
        paradigm="reasoning", count=2, seed=4,
        params={"tags": ["novel"], "context_tokens": 3000, "kinds": ["chain"], "facts": 2,
                "depths": [0.15, 0.5, 0.85]})
    free_run = await mesh.publish(
        paradigm="reasoning", count=1, seed=4,
        params={"tags": ["novel"], "mode": "free_form", "context_tokens": 3000,
                "min_hop_tokens": 300})
    db = mesh.store.db
    for run_id, count in ((chain_run, 2), (free_run, 1)):
        status = await mesh.wait(run_id, timeout_s=180)
        letters = await db.dead_letters.find({"run_id": run_id}).to_list(None)
        assert status["stages"]["accepted"] == count, [h["reasons"] for d in letters for h in d["history"]]

    for record in await db.records.find({"run_id": chain_run}).to_list(None):
        assert record["answer"] == record["answer_key"]
        assert f"holds {record['answer_key']} silver coins" in record["context"]
        assert [f["bucket"] for f in record["facts"]] == ["10-30%", "50-70%", "70-90%"]
        for citation in record["citations"]:
            assert record["context"][citation["start"]:citation["end"]] == citation["quote"]
        # The first trace answered 7: rejected by the key check, whose reason (the
        # feedback) does not give the key away.
        [failure] = record["history"]
        assert failure["stage"] == "validator" and "answer_matches_key" in failure["reasons"][0]
        assert record["answer_key"] not in failure["reasons"][0]
        assert set(record["scores"]) == set(AXES)
    [free] = await db.records.find({"run_id": free_run}).to_list(None)
    assert free["answer_key"] is None and free["question"] == "How do the two scenes connect?"
    assert len({tuple(p) for p in free["passages"]}) == 2 and free["history"] == []
    assert llm.stats()["rule_hits"] == {"chain": 2, "fixed": 2, "free_form": 1, "judge": 3}
    # Each chain record's first trace failed the key check once: counted by check.
    assert metric_value(mesh.metrics("validator"), "longweave_check_failures_total",
                        paradigm="reasoning", check="answer_matches_key") == 2

    rows = export_dataset(mesh, chain_run, tmp_path, "grpo")
    assert sorted(rows.column_names) == ["answer", "depths", "id", "kind", "prompt"]
    sft = export_dataset(mesh, chain_run, tmp_path, "sft")
    completions = [[m for m in row["messages"] if m["role"] == "assistant"] for row in sft]
    by_id = {row["id"]: row["answer"] for row in rows}
    answers = [by_id[row["id"]] for row in sft]
    assert exact_answer(completions, answer=answers) == [1.0, 1.0]
    assert think_format(completions) == [1.0, 1.0]
    assert exact_answer([[{"role": "assistant", "content": "<think>x</think>7"}]] * 2,
                        answer=answers) == [0.0, 0.0]
    field = export_dataset(mesh, free_run, tmp_path, "sft", "--trace-layout", "reasoning_content")
    assert field[0]["messages"][1]["reasoning_content"] == free["reasoning"]
    dpo = export_dataset(mesh, chain_run, tmp_path, "dpo")
    assert len(dpo) == 2 and all(r["failed_checks"] == ["answer_matches_key"] for r in dpo)
    failed = mesh.cli("export", free_run, "--format", "grpo", "--out",
                      str(tmp_path / "free-grpo.jsonl"))
    assert failed.returncode != 0 and "no answer key" in failed.stderr
    assert not list(tmp_path.glob("free-grpo.jsonl*"))  # no partial file

