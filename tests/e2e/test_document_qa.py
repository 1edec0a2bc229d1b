"""The document-grounded paradigm end to end: a book from deploy/corpus added with
`longweave documents add`, a document_qa request, the mesh with the scripted test server
as the model (its replies quote the passages their prompts show), accepted records with
located evidence, and exports with the context and the sources' licence."""

import json

import pytest

from longweave.testing.scripted_llm_server import ScriptedLLMServer
from support.documents import CORPUS, UNANSWERABLE_QUESTION

pytestmark = pytest.mark.e2e

# The first line of at least 30 characters of passage N, verbatim.
LINE_OF = r"\[P{n}\] (?s:.*?)(?P<q{n}>[A-Za-z][^\n]{{30,110}})"
AXES = ("faithfulness", "answerability", "difficulty", "completeness")


@pytest.fixture
def llm():
    server = ScriptedLLMServer().start_in_thread()
    pair_rules = [
        {"name": "multi_hop", "field": "user", "match": "Task: multi_hop",
         "replies": [{"captures": LINE_OF.format(n=1) + "(?s:.*?)" + LINE_OF.format(n=2),
                      "content": {"question": "How does the first scene lead to the second?",
                                  "answer": "The narrator links the two moments himself.",
                                  "evidence": [{"quote": "{q1}"}, {"quote": "{q2}"}]}}]},
        {"name": "unanswerable", "field": "user", "match": "Task: unanswerable",
         "replies": [{"content": {"question": UNANSWERABLE_QUESTION,
                                  "answer": "The document does not say; no such person "
                                            "appears in it.", "evidence": []}}]},
        {"name": "extraction", "field": "user", "match": "Task: extraction",
         "replies": [{"captures": LINE_OF.format(n=1),
                      "content": {"question": "What happens at this point of the story?",
                                  "answer": "The narrator tells it plainly, in passing.",
                                  "evidence": [{"quote": "{q1}"}]}}]},
        {"name": "judge", "field": "system", "match": "question-answer pairs about long",
         "replies": [{"content": {a: {"score": 5, "rationale": f"{a} holds"} for a in AXES}}]},
    ]
    server.set_rules(pair_rules)
    yield server
    server.stop_thread()


async def test_document_grounded_pairs_from_a_book(start_mesh, llm, tmp_path):
    mesh = start_mesh(llm_base_url=llm.base_url)
    added = mesh.cli("documents", "add", str(CORPUS / "time_machine.txt"), "--tag", "novel")
    assert added.returncode == 0, added.stderr
    run_id = await mesh.publish(
        paradigm="document_qa", count=2, complexity=0, seed=3,
        params={"tags": ["novel"], "context_tokens": 2000, "pairs": 3, "min_hop_tokens": 200,
                "task_types": ["extraction", "multi_hop", "unanswerable"]})
    status = await mesh.wait(run_id, timeout_s=180)
    db = mesh.store.db
    letters = await db.dead_letters.find({"run_id": run_id}).to_list(None)
    assert status["stages"]["accepted"] == 2, [h["reasons"] for d in letters
                                               for h in d.get("history", [])] or letters

    for record in await db.records.find({"run_id": run_id}).to_list(None):
        assert record["paradigm"] == "document_qa"
        assert 1600 <= len(record["context"]) / 4 <= 2400  # ≈ 2000 tokens
        assert [p["task_type"] for p in record["pairs"]].count("multi_hop") == 1
        for pair in record["pairs"]:
            for e in pair["evidence"]:
                assert record["context"][e["start"]:e["end"]] == e["quote"]
            assert len(pair["evidence_positions"]) == len(pair["evidence"])
        assert record["documents"][0]["licence"].startswith("Project Gutenberg")
        checks = {c["name"] for c in record["validation"]["checks"]}
        assert {"evidence_in_context", "multi_hop_distance", "answer_not_copied",
                "unanswerable_unsupported", "context_length"} <= checks
        assert set(record["scores"]) == set(AXES)
    # One call per pair, one per judgment; the whole context was never sent.
    assert llm.stats()["rule_hits"] == {"multi_hop": 2, "unanswerable": 2, "extraction": 2,
                                        "judge": 2}
    prompts = await db.llm_calls.find({"run_id": run_id, "purpose": "segment"}).to_list(None)
    assert len(prompts) == 6

    out = tmp_path / "sft.jsonl"
    exported = mesh.cli("export", run_id, "--format", "sft", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2 and all(len(r["messages"]) == 6 for r in rows)
    record = await db.records.find_one({"_id": rows[0]["id"]})
    assert rows[0]["messages"][0]["content"].startswith(record["context"])
    card = (tmp_path / "README.md").read_text()
    assert "Evidence positions in the context" in card and "Project Gutenberg" in card
