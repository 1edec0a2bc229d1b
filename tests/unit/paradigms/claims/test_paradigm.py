"""The claims paradigm's contract: a sample's staged units from its book; each unit's call
(outlines and summaries the same call for every record of a book, the pair written from
outlines and never the raw text, or from the raw text under the naive strategy; the
verification against outlines or text); replies parsed or refused; the record with its
outlines stored once by content; the export rows (sft, dpo, the CLIPPER layout)."""

import pytest

from longweave.llm.parsing import ReplyParseError
from longweave.paradigms import ExportOptions, Plan
from longweave.paradigms.claims.logic import unit_roles
from support.claims import (
    BOOK,
    TEXT,
    claims,
    claims_record,
    claims_sample,
    clean_outputs,
    outline,
    unit_of,
)

SAMPLE = claims_sample({"outline_part_tokens": 1500, "summary_input_tokens": 3000})
OTHER = claims_sample({"outline_part_tokens": 1500, "summary_input_tokens": 3000}, index=1)


def index_of(sample, role, k=0):
    return unit_roles(sample.planned_material()).index((role, k))


def test_a_sample_takes_the_units_its_book_needs_in_stages():
    material = SAMPLE.planned_material()
    n_outlines, n_groups = len(material["outline_units"]), len(material["groups"])
    assert claims.plan is Plan.STAGED and n_outlines > 10 and n_groups > 1
    assert SAMPLE.spec.stages == [n_outlines, n_groups, 1, 1, 1]
    assert SAMPLE.spec.units == n_outlines + n_groups + 3
    naive = claims_sample({"strategy": "naive"})
    assert naive.spec.stages == [1, 1] and "outline_units" not in naive.material


def test_outline_and_summary_calls_are_the_same_for_every_record_of_a_book():
    for role in ("outline", "group", "summary"):
        mine = claims.unit_call(unit_of(SAMPLE, index_of(SAMPLE, role)))
        theirs = claims.unit_call(unit_of(OTHER, index_of(OTHER, role)))
        assert mine.shared_as is not None and mine == theirs
    outlines = [claims.unit_call(unit_of(SAMPLE, i))
                for i in range(len(SAMPLE.material["outline_units"]))]
    assert len({call.shared_as for call in outlines}) == len(outlines)
    claim = claims.unit_call(unit_of(SAMPLE, index_of(SAMPLE, "claim")))
    assert claim.shared_as is None  # each record's own pair


def test_an_outline_unit_reads_its_part_of_the_chapter():
    material = SAMPLE.planned_material()
    k, part = next((k, u) for k, u in enumerate(material["outline_units"]) if u["part"] == 2)
    call = claims.unit_call(unit_of(SAMPLE, k))
    assert call.variables["text"] == TEXT[part["start"]:part["end"]].strip()
    assert (call.variables["part"], call.variables["parts"]) == (2, part["parts"])
    assert claims.unit_documents(SAMPLE, k) == [BOOK["_id"]]
    assert claims.unit_documents(SAMPLE, index_of(SAMPLE, "claim")) == []


def test_a_clipper_pair_is_written_from_outlines_and_a_naive_one_from_the_text():
    call = claims.unit_call(unit_of(SAMPLE, index_of(SAMPLE, "claim")))
    [target] = SAMPLE.material["target"]
    assert call.variables["outlines"][0].startswith(f"Chapter {target}: ")
    assert call.variables["summary"].startswith("summary 0") and not call.variables["excerpts"]
    naive = claims_sample({"strategy": "naive", "source_tokens": 800})
    call = claims.unit_call(unit_of(naive, 0))
    [excerpt] = call.variables["excerpts"]
    chapter = naive.material["chapters"][naive.material["target"][0] - 1]
    assert TEXT[chapter["body_start"]:chapter["end"]].strip().startswith(excerpt["text"])
    assert len(excerpt["text"]) <= 800 * 4 and not call.variables["outlines"]


def test_verification_reads_the_cited_outlines_or_the_cited_text():
    verify = index_of(SAMPLE, "verify")
    evidence = claims.unit_call(unit_of(SAMPLE, verify)).variables["evidence"]
    [target] = SAMPLE.material["target"]
    assert len(evidence) == 1 and evidence[0].startswith(f"Chapter {target}: ")
    assert "Events:" in evidence[0] and claims.unit_documents(SAMPLE, verify) == []
    text = claims_sample({"verify_against": "text"})
    verify = index_of(text, "verify")
    evidence = claims.unit_call(unit_of(text, verify)).variables["evidence"]
    assert "Events:" not in evidence[0] and claims.unit_documents(text, verify) == [BOOK["_id"]]


def test_unusable_replies_are_refused():
    with pytest.raises(ReplyParseError, match="no synopsis or no events"):
        claims.parse_unit({"synopsis": "x" * 30, "events": [], "characters": []},
                          unit_of(SAMPLE, 0))
    with pytest.raises(ReplyParseError, match="TRUE or a FALSE"):
        claims.parse_unit({"true_claim": "A claim.", "chapters": [1]},
                          unit_of(SAMPLE, index_of(SAMPLE, "claim")))
    with pytest.raises(ReplyParseError, match="verdicts must be"):
        claims.parse_unit({"true_claim": "yes", "false_claim": "no"},
                          unit_of(SAMPLE, index_of(SAMPLE, "verify")))
    with pytest.raises(ReplyParseError, match="empty"):
        claims.parse_unit("  ", unit_of(SAMPLE, index_of(SAMPLE, "summary")))


def test_a_claim_reply_keeps_whole_chapter_numbers_once():
    parsed = claims.parse_unit(
        {"true_claim": "Utterson reads the will.", "false_claim": "Poole reads the will.",
         "chapters": [3, "3", "two", 1], "events": ["3.1"], "brainstorm": ["will"],
         "changed_detail": "reader", "true_reasoning": "r", "false_reasoning": "r"},
        unit_of(SAMPLE, index_of(SAMPLE, "claim")))
    assert parsed["chapters"] == [1, 3]


def test_the_outlines_are_named_by_what_they_hold():
    record = claims_record(SAMPLE)
    assert claims_record(OTHER)["outlines_id"] == record["outlines_id"]
    [shared] = claims.shared_outputs(SAMPLE, clean_outputs(SAMPLE))
    assert shared["_id"] == record["outlines_id"] and len(shared["chapters"]) == 10
    changed = clean_outputs(SAMPLE)
    changed[0] = outline(99)
    assert claims.assemble(SAMPLE, changed)["outlines_id"] != record["outlines_id"]
    c = record["compression"]
    assert 0 < c["outline_tokens"] < c["chapter_tokens"] and c["summary_tokens"] > 0
    naive = claims_sample({"strategy": "naive"})
    assert claims.shared_outputs(naive, clean_outputs(naive)) == []
    assert claims_record(naive)["outlines_id"] is None


def test_sft_rows_ask_about_each_claim_with_the_book_and_answer_after_the_reasoning():
    record = claims_record(SAMPLE)
    options = ExportOptions(documents={BOOK["_id"]: TEXT})
    rows = claims.export_rows("sft", record, options)
    assert [r["id"] for r in rows] == [f"{SAMPLE.id}:true", f"{SAMPLE.id}:false"]
    for row, claim, answer, reasoning in (
            (rows[0], record["true_claim"], "True", record["true_reasoning"]),
            (rows[1], record["false_claim"], "False", record["false_reasoning"])):
        user, assistant = row["messages"]
        assert user["content"].endswith(f"Claim: {claim}")
        assert "STORY OF THE DOOR" in user["content"]
        assert assistant["content"] == f"{reasoning}\n\nAnswer: {answer}"
    short = claims.export_rows("sft", record, ExportOptions(
        documents={BOOK["_id"]: TEXT}, max_context_tokens=3000))
    assert len(short[0]["messages"][0]["content"]) < len(rows[0]["messages"][0]["content"])
    with pytest.raises(ValueError, match="not in the corpus"):
        claims.export_rows("sft", record)


def test_dpo_rows_prefer_the_right_verdict_and_the_claims_layout_has_the_pair():
    record = claims_record(SAMPLE)
    options = ExportOptions(documents={BOOK["_id"]: TEXT})
    dpo = claims.export_rows("dpo", record, options)
    assert [r["chosen"][0]["content"].rsplit(" ", 1)[1] for r in dpo] == ["True", "False"]
    assert [r["rejected"][0]["content"].rsplit(" ", 1)[1] for r in dpo] == ["False", "True"]
    [row] = claims.export_rows("claims", record)
    assert (row["true_claim"], row["false_claim"], row["chapters"], row["claim_type"]) == (
        record["true_claim"], record["false_claim"], record["chapters_cited"], "chapter")
    assert claims.export_documents(record, "claims") == []


def test_the_card_reports_the_compression_per_book_and_run():
    lines = claims.card_lines([claims_record(SAMPLE), claims_record(OTHER)])
    assert lines[0].startswith("- Claim pairs: 2 (2 TRUE and 2 FALSE claims)")
    assert any("Compression" in line for line in lines)
    assert any(line.strip().startswith("- run: ") for line in lines)
    assert claims.card_lines([]) == ["- Claim pairs: none accepted"]


def test_a_rejection_naming_no_unit_redoes_the_pair_and_keeps_the_outlines():
    from longweave.planning import units_to_redo

    units = SAMPLE.spec.units
    named = claims.whole_record_units(SAMPLE)
    assert named == [units - 2, units - 1]
    assert units_to_redo(SAMPLE.spec, named, claims.plan) == [units - 2, units - 1]


def test_a_chapter_range_is_outlined_summarised_and_claimed_alone():
    part = claims_sample({"first_chapter": 3, "last_chapter": 5, "book_level_share": 1,
                          "chapters_per_book_claim": 3})
    material = part.planned_material()
    assert [c["number"] for c in material["chapters"]] == [3, 4, 5]
    assert {u["chapter"] for u in material["outline_units"]} == {3, 4, 5}
    assert material["target"] == [3, 4, 5] and material["part_of_book"]
    summary = claims.unit_call(unit_of(part, index_of(part, "summary")))
    assert summary.variables["partial"] and (summary.variables["first"],
                                             summary.variables["last"]) == (3, 5)
    claim = claims.unit_call(unit_of(part, index_of(part, "claim")))
    assert claim.variables["span"] == "chapters 3-5 of a longer book"
    record = claims_record(part)
    assert record["compression"]["book_tokens"] == record["compression"]["chapter_tokens"]
    with pytest.raises(ValueError, match="last_chapter comes before"):
        claims.parse_params({"first_chapter": 4, "last_chapter": 2})


def test_a_request_no_book_can_serve_is_refused():
    params = claims.parse_params({})
    assert claims.problems(params, [{**BOOK, "chapters": None}])[0].startswith(
        "no book in the corpus matches")
    late = claims.parse_params({"first_chapter": 11})
    assert "no matching book has that many chapters" in claims.problems(late, [BOOK])[0]
    assert claims.problems(params, [BOOK]) == []
