"""The reasoning paradigm's contract: replies parsed (or refused), the record assembled
with where its facts fell, export rows in both trace layouts, grpo rows the reward
functions score (1.0 for the accepted trace, less for wrong ones) and dpo rows from drafts
that failed a check."""

import json

import pytest

from longweave.llm.parsing import ReplyParseError
from longweave.paradigms import ExportOptions
from longweave.paradigms.base import UnitInput
from longweave.rewards import exact_answer, think_format
from support.documents import corpus_entries
from support.reasoning import assembled, clean_trace, reasoning, reasoning_sample
from support.samples import make_draft

ENTRIES, TEXTS = corpus_entries()
SAMPLE, CONTEXT = reasoning_sample({"context_tokens": 3000, "kinds": ["sum"]}, ENTRIES, TEXTS)
FREE, FREE_CONTEXT = reasoning_sample({"mode": "free_form", "context_tokens": 3000,
                                       "min_hop_tokens": 300}, ENTRIES, TEXTS)


def record_of(sample, context, **content):
    return {**assembled(sample, context), "sample_id": sample.id, **content}


def test_a_reply_without_reasoning_or_question_is_refused():
    unit = UnitInput(sample=SAMPLE, params=reasoning.params_of(SAMPLE), index=0)
    with pytest.raises(ReplyParseError, match="no reasoning"):
        reasoning.parse_unit({"answer": "12"}, unit)
    free = UnitInput(sample=FREE, params=reasoning.params_of(FREE), index=0)
    with pytest.raises(ReplyParseError, match="no question"):
        reasoning.parse_unit({**clean_trace(FREE), "question": " "}, free)


def test_the_record_keeps_the_key_the_facts_depths_and_located_citations():
    record = assembled(SAMPLE, CONTEXT)
    assert record["answer_key"] == SAMPLE.material["answer_key"] == record["answer"]
    assert [f["bucket"] for f in record["facts"]] == \
        [f["bucket"] for f in SAMPLE.material["facts"]]
    for citation in record["citations"]:
        assert CONTEXT[citation["start"]:citation["end"]] == citation["quote"]
    assert record["documents"][0]["licence"].startswith("Project Gutenberg")
    free = assembled(FREE, FREE_CONTEXT)
    assert free["answer_key"] is None and free["question"] == clean_trace(FREE)["question"]


@pytest.mark.parametrize("fmt", ["sft", "openai"])
def test_rows_carry_the_trace_in_think_tags_or_a_reasoning_content_field(fmt):
    record = record_of(SAMPLE, CONTEXT)
    think = reasoning.export_row(fmt, record)
    user, assistant = think["messages"]
    assert user["content"] == f"{CONTEXT}\n\n{record['question']}"
    assert assistant["content"].startswith("<think>\n" + record["reasoning"])
    assert assistant["content"].endswith("</think>\n\n" + record["answer"])
    field = reasoning.export_row(fmt, record, ExportOptions(trace_layout="reasoning_content"))
    assert field["messages"][1] == {"role": "assistant", "content": record["answer"],
                                    "reasoning_content": record["reasoning"]}
    assert ("id" in think) == (fmt == "sft")
    assert think_format([[assistant]]) == think_format([[field["messages"][1]]]) == [1.0]


def test_grpo_rows_score_the_accepted_trace_one_and_wrong_ones_less():
    record = record_of(SAMPLE, CONTEXT)
    row = reasoning.export_row("grpo", record)
    assert set(row) == {"prompt", "answer", "kind", "depths", "id"}
    assert json.loads(row["depths"]) == [f["depth"] for f in record["facts"]]
    accepted = reasoning.export_row("sft", record)["messages"][1]
    wrong = {"role": "assistant", "content": "<think>\nI added them.\n</think>\n\n17"}
    no_trace = {"role": "assistant", "content": record["answer"]}
    completions = [[accepted], [wrong], [no_trace]]
    answers = [row["answer"]] * 3
    assert exact_answer(completions, answer=answers) == [1.0, 0.0, 1.0]
    assert think_format(completions) == [1.0, 1.0, 0.0]


def test_free_form_records_have_no_grpo_row():
    with pytest.raises(ValueError, match="no answer key"):
        reasoning.export_row("grpo", record_of(FREE, FREE_CONTEXT))


def test_dpo_pairs_the_accepted_trace_with_a_checker_rejected_one_for_the_same_question():
    record = record_of(SAMPLE, CONTEXT)
    wrong = {**assembled(SAMPLE, CONTEXT), "answer": "17"}
    failed_check = {"checks": [{"name": "answer_matches_key", "passed": False},
                               {"name": "truncation", "passed": True}]}
    draft = make_draft(wrong, rejected={"stage": "validator", "reasons": ["wrong"]},
                       validation=failed_check)
    row = reasoning.dpo_row(record, draft)
    assert row["failed_checks"] == ["answer_matches_key"]
    assert row["prompt"] == reasoning.export_row("sft", record)["messages"][:1]
    assert row["rejected"][0]["content"].endswith("\n\n17")
    other_question = make_draft({**wrong, "question": "Another question?"},
                                rejected={"stage": "validator", "reasons": ["wrong"]},
                                validation=failed_check)
    assert reasoning.dpo_row(record, other_question) is None
    assert reasoning.dpo_row(record, make_draft(wrong)) is None  # not rejected
