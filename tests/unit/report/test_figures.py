"""A run's figures from its documents: the funnel, rejections (per check, per axis, the
top reasons with an example), regeneration rounds, judge scores, length against the
window, coverage, cost per accepted record, the headline; and the figures the former
`longweave.quality` computed (rates per check, duplicate rate, axis pass rates)."""

import pytest

from longweave.report.figures import (
    RunDocuments,
    attach_excerpts,
    card_headline,
    coverage,
    lengths,
    reason_pattern,
    run_figures,
    written_text,
)


def test_the_funnel_counts_samples_per_stage_and_drafts_per_verdict(run_docs):
    found = run_figures(run_docs)
    assert found["funnel"] == {"requested": 4, "generated": 3, "validated": 3, "judged": 3,
                               "accepted": 2, "dead_lettered": 1, "stopped": 1,
                               "in_flight": 0}
    assert found["drafts"] == {"drafts": 5, "validated": 5, "passed_checks": 3,
                               "rejected_by_checks": 2, "judged": 3, "passed_judge": 2,
                               "rejected_by_judge": 1}


def test_a_sample_whose_drafts_all_failed_the_checks_is_generated_but_not_validated(run_docs):
    run_docs.drafts = [d for d in run_docs.drafts if d["sample_id"].endswith("000002")
                       and d["attempt"] == 2]
    assert run_figures(run_docs)["funnel"] == {
        "requested": 4, "generated": 1, "validated": 0, "judged": 0, "accepted": 2,
        "dead_lettered": 1, "stopped": 1, "in_flight": 0}


def test_rejections_per_check_and_per_axis_count_drafts_and_their_share(run_docs):
    rejections = run_figures(run_docs)["rejections"]
    assert rejections["by_check"] == {"token_window": {"drafts": 2, "rate": 2 / 5},
                                      "turn_structure": {"drafts": 1, "rate": 1 / 5}}
    assert rejections["by_axis"] == {"coherence": {"drafts": 1, "rate": 1 / 3},
                                     "overall": {"drafts": 1, "rate": 1 / 3}}
    assert rejections["duplicate_rate"] == 0.0
    # The dead letter adds the last attempt's failure to the sample's history.
    assert rejections["by_stage"] == {"judge": 1, "validator": 2}


def test_top_reasons_group_by_pattern_and_keep_one_example_with_its_draft(run_docs):
    run_docs.samples.append({**run_docs.samples[1], "_id": "run-r-000009", "history": [
        {"attempt": 1, "stage": "validator", "reasons": [
            "token_window: too short: ~7 tokens, the target is 40 (accepted 20-60)"]}]})
    reasons = run_figures(run_docs)["rejections"]["top_reasons"]
    first = reasons[0]
    assert (first["stage"], first["reason"], first["count"], first["samples"]) == \
        ("validator", "token_window: too short", 2, 2)
    assert first["example"] == {"sample_id": "run-r-000001", "attempt": 1,
                                "draft_id": "run-r-000001:a1",
                                "reason": "token_window: too short: ~12 tokens, the target "
                                          "is 40 (accepted 20-60)", "excerpt": None}
    assert [(r["reason"], r["count"]) for r in reasons[1:]] == [
        ("judge: coherence scored N/N (needs N)", 1), ("turn_structure: N turns, expected N", 1)]
    found = run_figures(run_docs)
    attach_excerpts(found, {"run-r-000001:a1": "  Too   short a reply. "})
    assert found["rejections"]["top_reasons"][0]["example"]["excerpt"] == "Too short a reply."


def test_a_reason_pattern_masks_numbers_and_drops_what_follows_its_second_part():
    assert reason_pattern("judge: tone scored 2/5 (needs 3): rude, at 10.5s") == \
        "judge: tone scored N/N (needs N)"
    assert reason_pattern("json_schema: turn 4: 'x' is not of type 'integer'") == \
        "json_schema: turn N"
    assert reason_pattern("1,024 tokens") == "N tokens"


def test_regeneration_rounds_count_the_attempts_each_finished_sample_used(run_docs):
    rounds = run_figures(run_docs)["regeneration"]
    assert rounds["by_outcome"] == {"accepted": {"1": 1, "2": 1}, "dead_lettered": {"2": 1},
                                    "stopped": {"1": 1}}
    assert (rounds["regenerated_samples"], rounds["mean_attempts_per_accepted"]) == (2, 1.5)


def test_judge_scores_per_axis_over_judged_drafts_and_accepted_records(run_docs):
    scores = run_figures(run_docs)["judge_scores"]
    assert scores["coherence"] == {"n": 3, "counts": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1},
                                   "mean": 11 / 3, "pass_rate": 2 / 3, "accepted_mean": 4.5}
    assert scores["tone_fidelity"]["pass_rate"] == 1.0


def test_lengths_are_read_from_the_check_that_measures_them_against_its_window(run_docs):
    found = lengths(run_docs.drafts, run_docs.records)
    assert found["window"] == [20, 60] and found["measure"] == "tokens measured by token_window"
    assert found["records"] == [40.0, 30.0]
    assert sorted(found["drafts"]) == [10.0, 12.0, 25.0, 30.0, 40.0]
    assert (found["inside_share"], found["below"], found["above"]) == (1.0, 0, 0)
    short = {**run_docs.records[0], "validation": {"checks": [
        {"name": "token_window", "passed": False, "details": {"tokens": 5, "low": 20,
                                                              "high": 60}}]}}
    found = lengths([], [short, run_docs.records[1]])
    assert (found["inside_share"], found["below"], found["above"]) == (0.5, 1, 0)


def test_without_a_length_check_the_records_written_tokens_are_shown_with_no_window(run_docs):
    records = [{**r, "validation": {"checks": []}} for r in run_docs.records]
    found = lengths([], records)
    assert (found["window"], found["records"], found["inside_share"]) == (None, [40.0, 30.0],
                                                                         None)


def test_coverage_counts_sampled_and_accepted_per_value_of_each_dimension(run_docs):
    found = coverage(run_docs.samples)
    assert found["domain"] == {"finance": {"sampled": 2, "accepted": 2},
                               "travel": {"sampled": 2, "accepted": 0}}
    assert found["country"]["France"] == {"sampled": 2, "accepted": 1}
    assert found["tone"] == {"casual": {"sampled": 2, "accepted": 0},
                             "formal": {"sampled": 2, "accepted": 2}}
    assert found["operator"] == {"(none)": {"sampled": 2, "accepted": 1},
                                 "persona": {"sampled": 2, "accepted": 1}}


def test_tokens_cost_and_time_per_accepted_record_come_from_the_llm_calls(run_docs):
    cost = run_figures(run_docs)["cost"]
    assert (cost["calls"], cost["prompt_tokens"], cost["completion_tokens"]) == (6, 810, 185)
    assert cost["per_accepted"]["tokens"] == 995 / 2
    assert cost["per_accepted"]["cost_usd"] == pytest.approx(0.07 / 2)
    assert cost["per_accepted"]["wall_seconds"] == 50.0
    assert cost["by_purpose"]["judge"]["tokens"] == 450


def test_the_headline_and_the_export_cards_agree(run_docs):
    found = run_figures(run_docs)["headline"]
    assert found == {"requested": 4, "accepted": 2, "yield": 0.5,
                     "distinct_2": found["distinct_2"],
                     "judge_means": {"coherence": 4.5, "tone_fidelity": 4.0},
                     "tokens_per_accepted": 497.5}
    assert 0 < found["distinct_2"] <= 1
    run = {**run_docs.run, "usage": {"prompt_tokens": 810, "completion_tokens": 185}}
    assert card_headline(run, run_docs.records) == found


def test_what_the_model_wrote_leaves_the_system_message_out(run_docs):
    text = written_text(run_docs.records[0])
    assert "clerk" not in text and text.startswith("My invoice")


def test_an_unknown_paradigm_still_gives_its_messages():
    doc = {"paradigm": "gone", "messages": [{"role": "user", "content": "hello"}]}
    assert written_text(doc) == "hello"


# The figures `longweave.quality` computed, kept: rates per check (near-duplicates as the
# duplicate rate), judge pass rates and means per axis, yield, the strategy in force.

def check(name, passed=True):
    return {"name": name, "passed": passed}


def judged(validity, grounding, failed=()):
    return {"scores": {"validity": {"score": validity}, "grounding": {"score": grounding}},
            "failed_axes": list(failed)}


def test_the_former_quality_figures_count_each_stage_against_the_drafts_that_reached_it():
    run = {"_id": "run-a", "requested": 4, "accepted": 3, "dead_lettered": 1,
           "request": {"paradigm": "claims", "params": {}, "count": 4}}
    drafts = [
        {"sample_id": "s0", "validation": {"checks": [check("near_duplicate", False),
                                                     check("truncation")]}},
        {"sample_id": "s1", "validation": {"checks": [check("claim_pair_minimal", False),
                                                     check("near_duplicate", False)]}},
        {"sample_id": "s2", "validation": {"checks": [check("near_duplicate")]},
         "judgment": judged(5, 4)},
        {"sample_id": "s3", "validation": {"checks": [check("near_duplicate")]},
         "judgment": judged(2, 4, ["validity"])},
        {"sample_id": "s4", "validation": {"checks": []},
         "judgment": judged(5, 2, ["grounding"])},
        {"sample_id": "s5"},  # a draft the generator wrote but no check has read yet
    ]
    found = run_figures(RunDocuments(run=run, drafts=drafts))
    assert (found["drafts"]["drafts"], found["drafts"]["validated"],
            found["drafts"]["judged"]) == (6, 5, 3)
    assert found["rejections"]["duplicate_rate"] == 2 / 5
    assert {c: v["rate"] for c, v in found["rejections"]["by_check"].items()} == \
        {"claim_pair_minimal": 1 / 5, "near_duplicate": 2 / 5}
    scores = found["judge_scores"]
    assert {a: s["pass_rate"] for a, s in scores.items()} == {"grounding": 2 / 3,
                                                              "validity": 2 / 3}
    assert {a: s["mean"] for a, s in scores.items()} == {"grounding": 10 / 3, "validity": 4.0}
    # No accepted record is stored: the run's own count is the yield's.
    assert found["headline"]["yield"] == 0.75
    assert found["strategy"] == "clipper"  # the claims paradigm's default, filled in
