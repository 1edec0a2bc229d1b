"""The claims paradigm end to end, the scripted test server playing the model: a book added
with `books add`; a run whose records each outline the book's chapters (long ones in
parts), summarise the outlines in groups and then as a book, write a claim pair and verify
it; a first pair whose FALSE claim only negates the TRUE one is rejected and rewritten. The
outline and summary calls are paid for once per book, by the first run: a second run over
the same book pays only for its claims. The outlines are stored once; the sft, dpo and
claims exports load with `datasets`."""

import json

import pytest

from longweave.testing.scripted_llm_server import ScriptedLLMServer
from support.documents import CORPUS
from support.mesh import export_dataset

pytestmark = pytest.mark.e2e

AXES = ("validity", "grounding", "complexity", "false_for_stated_reason")
TITLE = r"Chapter (?P<n>\d+): (?P<t>[^\n]+)"
PARAMS = {"tags": ["novella"], "outline_part_tokens": 3000, "summary_input_tokens": 3000}


def pair(true: str, false: str, chapters: list[str]) -> dict:
    return {"brainstorm": ["Utterson's walk", "what he learns of Hyde"],
            "chapters": chapters, "events": ["{n}.1"], "true_claim": true,
            "false_claim": false, "changed_detail": "who walks with Utterson",
            "true_reasoning": "Chapter {n} (event {n}.1) shows Utterson reading of {t}, "
                              "so the claim is true.",
            "false_reasoning": "Chapter {n} (event {n}.1) shows Utterson with Enfield, not "
                               "Poole, so the claim is false."}


CHAPTER_CLAIM = "In chapter {n}, {t}, Utterson walks with Enfield and reads of {t}."
BOOK_CLAIM = ("Utterson first hears of Hyde in chapter {n}, {t}, and later meets him in "
              "chapter {m}, {u}.")


@pytest.fixture
def llm():
    server = ScriptedLLMServer().start_in_thread()
    server.set_rules([
        {"name": "outline", "field": "system", "match": "You outline chapters",
         "replies": [{"captures": TITLE, "content": {
             "synopsis": "Chapter {n}, {t}, follows Utterson through London.",
             "events": ["Utterson reads of {t}.", "Enfield tells a story in chapter {n}."],
             "characters": [{"name": "Utterson", "description": "a lawyer"}]}}]},
        {"name": "group", "field": "user", "match": "Summarise this stretch",
         "replies": [{"content": "Utterson looks into Hyde across these chapters."}]},
        {"name": "summary", "field": "user", "match": "Summarise the whole book",
         "replies": [{"content": "A lawyer, Utterson, uncovers that Hyde is Jekyll."}]},
        # The first chapter-level pair only negates its TRUE claim: the check rejects it,
        # and the pair written with that reason as feedback changes one detail.
        {"name": "chapter_claim", "field": "user", "match": "Write a chapter-level claim",
         "replies": [
             {"captures": TITLE, "content": pair(
                 CHAPTER_CLAIM, CHAPTER_CLAIM.replace("walks", "never walks"), ["{n:int}"])},
             {"captures": TITLE, "content": pair(
                 CHAPTER_CLAIM, CHAPTER_CLAIM.replace("Enfield", "Poole"), ["{n:int}"])}]},
        {"name": "book_claim", "field": "user", "match": "Write a book-level claim",
         "replies": [{"captures": TITLE + r"(?s:.*?)Chapter (?P<m>\d+): (?P<u>[^\n]+)",
                      "content": pair(BOOK_CLAIM, BOOK_CLAIM.replace("meets him",
                                                                     "meets Poole"),
                                      ["{n:int}", "{m:int}"])}]},
        {"name": "verify", "field": "system", "match": "You verify claims",
         "replies": [{"content": {"true_claim": "supported", "false_claim": "contradicted",
                                  "explanation": "The outlines show it."}}]},
        # A model under evaluation that calls every claim true.
        {"name": "evaluated", "field": "user", "match": "decide whether the claim",
         "replies": [{"content": "Chapter 1 bears it out.\n\nAnswer: True"}]},
        {"name": "judge", "field": "system", "match": "claim-verification examples",
         "replies": [{"content": {a: {"score": 5, "rationale": f"{a} holds"} for a in AXES}}]},
    ])
    yield server
    server.stop_thread()


async def test_a_book_becomes_claim_pairs_and_its_outlines_are_paid_for_once(
        start_mesh, llm, tmp_path):
    mesh = start_mesh(llm_base_url=llm.base_url)
    added = mesh.cli("books", "add", str(CORPUS / "jekyll_and_hyde.txt"), "--tag", "novella")
    assert added.returncode == 0, added.stderr
    db = mesh.store.db
    first = await mesh.publish(paradigm="claims", count=4, seed=3, params=PARAMS)
    status = await mesh.wait(first, timeout_s=240)
    letters = await db.dead_letters.find({"run_id": first}).to_list(None)
    assert status["stages"]["accepted"] == 4, letters

    sample = await db.samples.find_one({"run_id": first})
    material = sample["material"]
    n_outlines, n_groups = len(material["outline_units"]), len(material["groups"])
    assert len(material["chapters"]) == 10 and n_outlines > 10 and n_groups > 1
    assert sample["spec"]["stages"] == [n_outlines, n_groups, 1, 1, 1]
    hits = llm.stats()["rule_hits"]
    # Four records, each planning every outline: one call per outline unit of the book.
    assert (hits["outline"], hits["group"], hits["summary"]) == (n_outlines, n_groups, 1)
    assert hits["chapter_claim"] == 3 and hits["book_claim"] == 2 and hits["verify"] == 5

    records = await db.records.find({"run_id": first}).sort("sample_id").to_list(None)
    assert [r["scope"] for r in records] == ["chapter", "book", "chapter", "book"]
    for record in records:
        assert set(record["target"]) <= set(record["chapters_cited"])
        assert record["verification"]["true_claim"] == "supported"
        assert set(record["scores"]) == set(AXES)
        assert 0 < record["compression"]["outline_tokens"] < \
            record["compression"]["chapter_tokens"]
    assert len({r["chapters_cited"][0] for r in records if r["scope"] == "chapter"}) == 2
    [negated] = [r for r in records if r["history"]]
    assert "claim_pair_minimal" in negated["history"][0]["reasons"][0]
    assert "Poole" in negated["false_claim"]
    # The book's outlines and summary: stored once, named by every record.
    [stored] = await db.shared_outputs.find().to_list(None)
    assert {r["outlines_id"] for r in records} == {stored["_id"]}
    assert len(stored["chapters"]) == 10 and stored["summary"].startswith("A lawyer")

    second = await mesh.publish(paradigm="claims", count=2, seed=8, params=PARAMS)
    status = await mesh.wait(second, timeout_s=240)
    assert status["stages"]["accepted"] == 2
    again = llm.stats()["rule_hits"]
    assert (again["outline"], again["group"], again["summary"]) == (n_outlines, n_groups, 1)
    assert again["chapter_claim"] + again["book_claim"] == 5 + 2
    assert await db.shared_outputs.count_documents({}) == 1

    sft = export_dataset(mesh, first, tmp_path, "sft", "--max-context-tokens", "6000")
    assert len(sft) == 8  # a TRUE and a FALSE claim per pair
    by_id = {r["sample_id"]: r for r in records}
    for row in sft:
        sample_id, _, label = row["id"].rpartition(":")
        record = by_id[sample_id]
        prompt, answer = row["messages"][0]["content"], row["messages"][1]["content"]
        assert answer.endswith("Answer: True" if label == "true" else "Answer: False")
        titles = [c["title"] for c in record["chapters"]]
        for n in record["chapters_cited"]:
            assert titles[n - 1] in prompt  # the cited chapters are always in
        assert "chapter(s) omitted]" in prompt and len(prompt.split()) < 6000
    whole = export_dataset(mesh, first, tmp_path, "sft")
    assert "omitted]" not in whole[0]["messages"][0]["content"]
    dpo = export_dataset(mesh, first, tmp_path, "dpo")
    assert len(dpo) == 8
    assert all(r["chosen"][0]["content"][-5:] != r["rejected"][0]["content"][-5:]
               for r in dpo)
    layout = export_dataset(mesh, first, tmp_path, "claims")
    assert sorted(layout.column_names) == sorted([
        "book_id", "book_title", "claim_type", "true_claim", "true_reasoning", "false_claim",
        "false_reasoning", "chapters", "events", "changed_detail", "strategy", "id"])
    card = (tmp_path / f"{first}-claims-0" / "README.md").read_text()
    assert "Compression (outlines / chapters, summary / book)" in card
    status = mesh.cli("status", first)
    assert status.returncode == 0 and "- Compression" in status.stdout

    # The naive baseline: pairs from the raw chapter text, no outline or summary at all.
    naive = await mesh.publish(paradigm="claims", count=2, seed=5,
                               params={**PARAMS, "strategy": "naive"})
    status = await mesh.wait(naive, timeout_s=240)
    assert status["stages"]["accepted"] == 2
    after = llm.stats()["rule_hits"]
    assert (after["outline"], after["group"], after["summary"]) == (n_outlines, n_groups, 1)
    for record in await db.records.find({"run_id": naive}).to_list(None):
        assert record["strategy"] == "naive" and record["outlines_id"] is None
        assert "<chapter>" not in record["evidence"][0]  # raw text, shown as evidence
        assert "Events:" not in record["evidence"][0]

    # The two strategies side by side (the scripted judge passes everything).
    report = mesh.cli("report", first, naive, "--json", "--out", str(tmp_path / "report"))
    assert report.returncode == 0, report.stderr
    clipper_run, naive_run = json.loads(report.stdout)["runs"]
    assert (clipper_run["strategy"], naive_run["strategy"]) == ("clipper", "naive")
    assert clipper_run["rejections"]["by_check"]["claim_pair_minimal"]["rate"] == 0.2
    assert "claim_pair_minimal" not in naive_run["rejections"]["by_check"]
    for run in (clipper_run, naive_run):
        validity = run["judge_scores"]["validity"]
        assert (validity["pass_rate"], validity["mean"]) == (1.0, 5.0)
    assert (tmp_path / "report" / "report.html").is_file()

    # Evaluation: a model that calls every claim true is right on half the claims and on
    # no pair, asked from the run or from its sft export.
    for source in (["--run", first], ["--file", str(tmp_path / f"{first}-sft-2" /
                                                     "sft.jsonl")]):
        result = mesh.cli("eval", "claims", *source, "--base-url", llm.base_url,
                          "--model", "any", "--max-context-tokens", "4000", "--json")
        assert result.returncode == 0, result.stderr
        found = json.loads(result.stdout.strip().splitlines()[-1])
        assert (found["claims"], found["accuracy"], found["pair_accuracy"]) == (8, 0.5, 0.0)
        assert "8/8 claims" in result.stderr
    assert llm.stats()["rule_hits"]["evaluated"] == 16
    refused = mesh.cli("eval", "claims", "--run", naive.replace("run-", "nope-"),
                       "--base-url", llm.base_url, "--model", "any")
    assert refused.returncode == 2 and "no run" in refused.stderr

