"""End to end with the real local model (SmolLM2-135M through llama.cpp's server).

The model is a toy: this proves the plumbing (real broker, real store, real model over
HTTP), so the request's thresholds are lenient (it tokenizes number-heavy babble at ~2
characters per token and repeats itself: most of its drafts fail the length window or the
loop check) and the conversations' request turns the text-quality checks off through its
`quality` field (measured with tests/bench/sweep_local_decoding.py: at the demo's decoding
0 of 9 of its conversations pass them); the quality gates themselves are tested with the
scripted test server and on planted records (tests/unit/validator/test_text_quality.py),
and the demo shows what they make of the toy model.
"""

import json
import re
import time

import pytest

from longweave.contracts.messages import QualityThresholds
from longweave.demo import LOCAL_MODEL_ENV, TOY_MODEL_OPERATORS
from longweave.judge.logic import load_rubric
from longweave.paradigms import PARADIGMS

pytestmark = pytest.mark.e2e

# A request's text-quality thresholds, every one off (null), carried through the mesh.
TEXT_QUALITY_OFF = dict.fromkeys(sorted(QualityThresholds.model_fields.keys() - {"min_words"}))


async def test_three_conversations_land_with_complete_metadata_and_export(start_mesh, tmp_path):
    mesh = start_mesh(**LOCAL_MODEL_ENV)
    run_id = await mesh.publish(
        paradigm="conversation", count=3,
        params={"segments": 2, "turns_per_segment": 2, "target_tokens": 240,
                "length_tolerance": 2.0}, max_attempts=10, judge_min_score=1, seed=11,
        complexify_operators=list(TOY_MODEL_OPERATORS), quality=TEXT_QUALITY_OFF,
    )
    status = await mesh.wait(run_id, timeout_s=1200)
    letters = await mesh.store.db.dead_letters.find({"run_id": run_id}).to_list(None)
    assert status["stages"]["accepted"] == 3, [h["reasons"] for d in letters for h in d["history"]]

    records = await mesh.store.records_of_run(run_id).to_list(None)
    assert len(records) == 3
    for record in records:
        assert record["run_id"] == run_id and record["paradigm"] == "conversation"
        assert {"domain", "business_scenario", "geography", "tone"} <= set(record["scenario"])
        assert record["models"]["generator"] and record["models"]["judge"]
        versions = record["prompt_versions"]
        assert all("@v" in versions[k] for k in ("segment", "judge"))
        assert versions["summary"] is None  # two short segments: the first is read verbatim
        tokens = record["tokens"]
        assert tokens["prompt"] > 0 and tokens["completion"] > 0 and tokens["llm_calls"] >= 3
        assert record["timings"]["wall_s"] > 0 and record["timings"]["llm_s"] > 0
        assert record["attempts"] >= 1 and len(record["history"]) == record["attempts"] - 1
        assert set(record["scores"]) == set(load_rubric(PARADIGMS["conversation"].rubric_path).axes)
        assert record["validation"]["passed"] is True
        skipped = {c["name"] for c in record["validation"]["checks"]
                   if c.get("details", {}).get("applied") is False}
        assert {"non_word_tokens", "stop_words", "code_in_prose"} <= skipped
        roles = [m["role"] for m in record["messages"]]
        assert roles == ["system"] + ["user", "assistant"] * 4

    out = tmp_path / "sft.jsonl"
    result = mesh.cli("export", run_id, "--format", "sft", "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3
    for row in rows:
        assert [m["role"] for m in row["messages"]][:3] == ["system", "user", "assistant"]
        assert all(isinstance(m["content"], str) and m["content"] for m in row["messages"])

    assert mesh.stop() == 0, "SIGTERM must drain and exit cleanly"


async def test_document_pairs_with_the_local_model_finish_with_reasons(start_mesh):
    """A short document_qa run on the toy model (a 135M model with ~8k tokens per slot: a
    1,500-token context, prompts of passages and the map). It rarely quotes its passages
    word for word, so the proof is the plumbing: every sample ends, accepted with located
    evidence or dead-lettered with the checks' reasons."""
    from support.documents import CORPUS

    mesh = start_mesh(**LOCAL_MODEL_ENV)
    added = mesh.cli("documents", "add", str(CORPUS / "jekyll_and_hyde.txt"))
    assert added.returncode == 0, added.stderr
    run_id = await mesh.publish(
        paradigm="document_qa", count=1, complexity=0, max_attempts=2, judge_min_score=1,
        seed=5, params={"context_tokens": 1500, "pairs": 2,
                        "task_types": ["extraction", "unanswerable"]})
    status = await mesh.wait(run_id, timeout_s=900)
    assert status["stages"]["accepted"] + status["stages"]["dead_lettered"] == 1, status
    for record in await mesh.store.records_of_run(run_id).to_list(None):
        for pair in record["pairs"]:
            for e in pair["evidence"]:
                assert e["start"] is not None
    for letter in await mesh.store.db.dead_letters.find({"run_id": run_id}).to_list(None):
        assert letter["kind"] == "attempts_exhausted" and letter["reasons"]
        print("dead-lettered:", letter["reasons"])  # what the toy model got wrong


async def test_instruction_responses_with_the_local_model_report_their_checkers(start_mesh):
    """A short instruction run on the toy model: every sample ends, accepted with every
    checker's verdict on the record, or dead-lettered with the checkers' reasons. It prints
    how many of the checkers the model's responses passed, as they were."""
    mesh = start_mesh(**LOCAL_MODEL_ENV)
    run_id = await mesh.publish(
        paradigm="instruction", count=2, max_attempts=3, judge_min_score=1, seed=3,
        params={"min_instructions": 1, "max_instructions": 2})
    status = await mesh.wait(run_id, timeout_s=900)
    assert status["stages"]["accepted"] + status["stages"]["dead_lettered"] == 2, status
    db = mesh.store.db
    for record in await mesh.store.records_of_run(run_id).to_list(None):
        [check] = [c for c in record["validation"]["checks"]
                   if c["name"] == "instructions_followed"]
        assert check["passed"] and len(check["details"]["verdicts"]) == \
            len(record["instructions"])
    verdicts = [v for draft in await db.drafts.find({"run_id": run_id}).to_list(None)
                for c in (draft.get("validation") or {}).get("checks", [])
                if c["name"] == "instructions_followed" for v in c["details"]["verdicts"]]
    print(f"instruction checkers passed (strict): {sum(v['strict'] for v in verdicts)} of "
          f"{len(verdicts)}; samples accepted: {status['stages']['accepted']} of 2")
    for letter in await db.dead_letters.find({"run_id": run_id}).to_list(None):
        assert letter["kind"] == "attempts_exhausted" and letter["reasons"]
        print("dead-lettered:", letter["reasons"])


async def test_reasoning_traces_with_the_local_model_report_their_answers(start_mesh):
    """A short programmatic reasoning run on the toy model over a book: every sample ends,
    accepted with its answer equal to its key, or dead-lettered with the checks' reasons.
    It prints how many of the model's traces got the key, as they were."""
    from longweave.rewards import normalise_answer
    from support.documents import CORPUS

    mesh = start_mesh(**LOCAL_MODEL_ENV)
    added = mesh.cli("documents", "add", str(CORPUS / "time_machine.txt"), "--tag", "novel")
    assert added.returncode == 0, added.stderr
    run_id = await mesh.publish(
        paradigm="reasoning", count=2, max_attempts=3, judge_min_score=1, seed=3,
        params={"tags": ["novel"], "context_tokens": 1000, "kinds": ["compare", "sum"]})
    status = await mesh.wait(run_id, timeout_s=900)
    assert status["stages"]["accepted"] + status["stages"]["dead_lettered"] == 2, status
    db = mesh.store.db
    for record in await mesh.store.records_of_run(run_id).to_list(None):
        assert normalise_answer(record["answer"]) == normalise_answer(record["answer_key"])
    drafts = await db.drafts.find({"run_id": run_id}).to_list(None)
    right = [c["passed"] for d in drafts for c in (d.get("validation") or {}).get("checks", [])
             if c["name"] == "answer_matches_key"]
    print(f"reasoning traces with the right answer: {sum(right)} of {len(right)}; samples "
          f"accepted: {status['stages']['accepted']} of 2")
    for letter in await db.dead_letters.find({"run_id": run_id}).to_list(None):
        assert letter["kind"] == "attempts_exhausted" and letter["reasons"]
        print("dead-lettered:", letter["reasons"])


# Not in `make test`: on this 2-core machine it outlasts ten minutes (run it with
# `.venv/bin/python -m pytest -m slow_local_model tests/e2e/test_mesh_local_model.py -s`).
@pytest.mark.slow_local_model
@pytest.mark.timeout(3600)
async def test_claim_pairs_with_the_local_model_over_the_shortest_book(start_mesh):
    """A short claims run on the toy model over the shortest shared book (Jekyll and Hyde),
    its first three chapters (the demo's run: here the toy model reads ~75 prompt tokens/s
    and writes ~7 tokens/s under a JSON grammar, so the whole book's twenty outlines would
    take it half an hour): every sample ends, accepted or dead-lettered with the checks'
    reasons. It prints what the outlines compressed the chapters to and how the pairs
    fared, as they were."""
    from longweave.demo import demo_claims_request
    from support.documents import CORPUS

    mesh = start_mesh(**LOCAL_MODEL_ENV)
    added = mesh.cli("books", "add", str(CORPUS / "jekyll_and_hyde.txt"), "--tag", "novella")
    assert added.returncode == 0, added.stderr
    book_id = re.search(r"added (\S+)", added.stdout).group(1)
    request = demo_claims_request(book_id)
    run_id = await mesh.publish(**request)
    started = time.monotonic()
    status = await mesh.wait(run_id, timeout_s=3400)
    assert status["stages"]["accepted"] + status["stages"]["dead_lettered"] == 2, status
    print(f"claims run over chapters 1-3 of Jekyll and Hyde: "
          f"{time.monotonic() - started:.0f} s")
    db = mesh.store.db
    drafts = await db.drafts.find({"run_id": run_id}).to_list(None)
    verdicts = [c for d in drafts for c in (d.get("validation") or {}).get("checks", [])]
    failed = sorted({c["name"] for c in verdicts if not c["passed"]})
    for stored in await db.shared_outputs.find().to_list(None):
        c = stored["compression"]
        print(f"outlines: {c['outline_tokens']} tokens for {c['chapter_tokens']} chapter "
              f"tokens ({c['outline_tokens'] / c['chapter_tokens']:.1%}); summary "
              f"{c['summary_tokens']} tokens")
    print(f"claim drafts: {len(drafts)}; checks failed: {failed or 'none'}; samples "
          f"accepted: {status['stages']['accepted']} of 2")
    for record in await mesh.store.records_of_run(run_id).to_list(None):
        assert record["verification"]["true_claim"] == "supported"
        print("accepted pair:", record["true_claim"], "|", record["false_claim"])
    for letter in await db.dead_letters.find({"run_id": run_id}).to_list(None):
        assert letter["kind"] == "attempts_exhausted" and letter["reasons"]
        print("dead-lettered:", letter["reasons"])
